// Every GraphQL document the console sends, one named operation each and no shared fragments,
// so that each text is exactly one entry of trusted-documents.json
// (scripts/trusted_documents.py extracts the /* GraphQL */ literals below; keep them plain).

export const LOGIN = /* GraphQL */ `
mutation ConsoleLogin($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken expiresAt }
}`;

export const REGISTER = /* GraphQL */ `
mutation ConsoleRegister($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken expiresAt }
}`;

export const REFRESH = /* GraphQL */ `
mutation ConsoleRefresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { accessToken refreshToken expiresAt }
}`;

export const LOGOUT = /* GraphQL */ `
mutation ConsoleLogout($refreshToken: String!) {
  logout(refreshToken: $refreshToken)
}`;

export const SWITCH_TENANT = /* GraphQL */ `
mutation ConsoleSwitchTenant($tenantId: ID!) {
  switchTenant(tenantId: $tenantId) { accessToken refreshToken expiresAt }
}`;

export const ME = /* GraphQL */ `
query ConsoleMe {
  me {
    user { id email fullName }
    isSuperadmin
    tokenExpiresAt
    memberships { role tenant { id name slug plan status } }
  }
}`;

export const ACTIVE_TENANT = /* GraphQL */ `
query ConsoleActiveTenant {
  me { role tenant { id name slug region plan status } }
}`;

export const PROJECTS = /* GraphQL */ `
query ConsoleProjects($first: Int!, $after: String) {
  projects(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name description createdAt updatedAt }
  }
}`;

export const PROJECT_OPTIONS = /* GraphQL */ `
query ConsoleProjectOptions {
  projects(first: 100) { nodes { id name } }
}`;

export const PROJECT = /* GraphQL */ `
query ConsoleProject($id: ID!, $after: String) {
  project(id: $id) {
    id name description createdAt updatedAt
    createdBy { email fullName }
    documents(first: 20, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id title source createdAt }
    }
    transcriptions(first: 10) {
      nodes { id filename status progress createdAt }
    }
  }
}`;

export const CREATE_PROJECT = /* GraphQL */ `
mutation ConsoleCreateProject($input: CreateProjectInput!) {
  createProject(input: $input) { id name }
}`;

export const UPDATE_PROJECT = /* GraphQL */ `
mutation ConsoleUpdateProject($id: ID!, $input: UpdateProjectInput!) {
  updateProject(id: $id, input: $input) { id name description updatedAt }
}`;

export const DELETE_PROJECT = /* GraphQL */ `
mutation ConsoleDeleteProject($id: ID!) {
  deleteProject(id: $id)
}`;

export const DOCUMENTS = /* GraphQL */ `
query ConsoleDocuments($first: Int!, $after: String) {
  documents(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id title source createdAt project { id name } }
  }
}`;

export const DOCUMENT = /* GraphQL */ `
query ConsoleDocument($id: ID!) {
  document(id: $id) { id title content source createdAt project { id name } }
}`;

export const ADD_DOCUMENT = /* GraphQL */ `
mutation ConsoleAddDocument($input: AddDocumentInput!) {
  addDocument(input: $input) { id title }
}`;

export const DELETE_DOCUMENT = /* GraphQL */ `
mutation ConsoleDeleteDocument($id: ID!) {
  deleteDocument(id: $id)
}`;

export const SEARCH = /* GraphQL */ `
query ConsoleSearch($query: String!, $projectId: ID) {
  searchKnowledge(query: $query, projectId: $projectId, first: 10) {
    score snippet
    document { id title source project { id name } }
  }
}`;

export const TRANSCRIBE = /* GraphQL */ `
mutation ConsoleTranscribe($file: Upload!, $language: String, $projectId: ID, $addToKnowledgeBase: Boolean) {
  transcribeAudio(file: $file, language: $language, projectId: $projectId, addToKnowledgeBase: $addToKnowledgeBase) {
    id status progress filename
  }
}`;

export const TRANSCRIPTIONS = /* GraphQL */ `
query ConsoleTranscriptions($first: Int!, $after: String) {
  transcriptions(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id filename status progress duration createdAt }
  }
}`;

export const TRANSCRIPTION = /* GraphQL */ `
query ConsoleTranscription($id: ID!) {
  transcription(id: $id) {
    id filename status progress language detectedLanguage duration text error createdAt finishedAt
    segments { start end text }
    project { id name }
  }
}`;

export const TRANSCRIPT_FILE = /* GraphQL */ `
query ConsoleTranscriptFile($id: ID!, $format: TranscriptFormat!) {
  transcription(id: $id) { id filename subtitles(format: $format) }
}`;

export const CANCEL_TRANSCRIPTION = /* GraphQL */ `
mutation ConsoleCancelTranscription($id: ID!) {
  cancelTranscription(id: $id) { id status }
}`;

export const TRANSCRIPTION_PROGRESS = /* GraphQL */ `
subscription ConsoleTranscriptionProgress($id: ID!) {
  transcriptionProgress(id: $id) {
    transcription { id status progress duration detectedLanguage text error }
    segment { start end text }
  }
}`;

export const MEMBERS = /* GraphQL */ `
query ConsoleMembers {
  members { role joinedAt user { id email fullName } }
}`;

export const REMOVE_MEMBER = /* GraphQL */ `
mutation ConsoleRemoveMember($userId: ID!) {
  removeMember(userId: $userId)
}`;

export const INVITATIONS = /* GraphQL */ `
query ConsoleInvitations($after: String) {
  invitations(first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id email role status createdAt expiresAt invitedBy { email } }
  }
}`;

export const INVITE_MEMBER = /* GraphQL */ `
mutation ConsoleInviteMember($email: String!, $role: MemberRole) {
  inviteMember(email: $email, role: $role) {
    acceptUrl token
    invitation { id email role status expiresAt }
  }
}`;

export const REVOKE_INVITATION = /* GraphQL */ `
mutation ConsoleRevokeInvitation($id: ID!) {
  revokeInvitation(id: $id) { id status }
}`;

export const ACCEPT_INVITATION = /* GraphQL */ `
mutation ConsoleAcceptInvitation($token: String!, $password: String, $fullName: String) {
  acceptInvitation(token: $token, password: $password, fullName: $fullName) { accessToken refreshToken expiresAt }
}`;

export const UPDATE_PROFILE = /* GraphQL */ `
mutation ConsoleUpdateProfile($fullName: String) {
  updateProfile(fullName: $fullName) { id email fullName }
}`;

export const CHANGE_PASSWORD = /* GraphQL */ `
mutation ConsoleChangePassword($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) { accessToken refreshToken expiresAt }
}`;

export const REQUEST_PASSWORD_RESET = /* GraphQL */ `
mutation ConsoleRequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email)
}`;

export const RESET_PASSWORD = /* GraphQL */ `
mutation ConsoleResetPassword($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) { accessToken refreshToken expiresAt }
}`;

export const USAGE = /* GraphQL */ `
query ConsoleUsage {
  usage {
    projects documents storageBytes audioSecondsThisMonth
    limits { maxProjects maxStorageBytes maxAudioSecondsPerMonth requestsPerMinute }
  }
}`;

export const AUDIT_LOG = /* GraphQL */ `
query ConsoleAuditLog($after: String) {
  auditLog(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id at action targetType targetId requestId details actor { email fullName } }
  }
}`;

// The same without `details` (v1.1): for a server that does not serve it yet.
export const AUDIT_LOG_V1 = /* GraphQL */ `
query ConsoleAuditLogV1($after: String) {
  auditLog(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id at action targetType targetId requestId actor { email fullName } }
  }
}`;

export const TENANTS = /* GraphQL */ `
query ConsoleTenants($after: String) {
  tenants(first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name slug region plan status createdAt }
  }
}`;

export const CREATE_TENANT = /* GraphQL */ `
mutation ConsoleCreateTenant($input: CreateTenantInput!) {
  createTenant(input: $input) { id name slug plan status }
}`;

export const UPDATE_TENANT = /* GraphQL */ `
mutation ConsoleUpdateTenant($id: ID!, $input: UpdateTenantInput!) {
  updateTenant(id: $id, input: $input) { id name plan status }
}`;

export const ENTER_AS_SUPPORT = /* GraphQL */ `
mutation ConsoleEnterTenantAsSupport($tenantId: ID!, $reason: String!) {
  enterTenantAsSupport(tenantId: $tenantId, reason: $reason) { accessToken refreshToken expiresAt }
}`;

