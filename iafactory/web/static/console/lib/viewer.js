// Who is signed in, and in which tenant: shared by every page through a context.
import { createContext, useContext } from "./html.js";
import { call, claims } from "./session.js";
import { ACTIVE_TENANT, ME } from "./operations.js";

export const ViewerContext = createContext(null);
export const useViewer = () => useContext(ViewerContext);

// ME never asks for the tenant: a super-admin's token may have none (TENANT_REQUIRED).
export async function loadViewer() {
  const { me } = await call(ME);
  let active = null;
  let tenantError = null;
  if (claims().tenant_id) {
    try {
      active = (await call(ACTIVE_TENANT)).me;
    } catch (error) {
      tenantError = error;
    }
  }
  return { ...me, active, tenantError };
}

export const canManage = (viewer) => Boolean(viewer && viewer.active && ["OWNER", "ADMIN"].includes(viewer.active.role));
export const isReadOnly = (viewer) => Boolean(viewer && viewer.active && viewer.active.role === "SUPPORT");
