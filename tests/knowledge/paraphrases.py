"""A bilingual paraphrase corpus: the questions people ask, not the words the documents use.

36 short documents of a company's knowledge base (18 French, 18 English) on neighbouring
subjects (leave and public holidays, passwords and two-factor sign-in, backups and exports),
and two questions for each: one in the document's language, one in the other language, both
reworded to share as few words as possible with it. Each names the document it should find.
Used by tests/knowledge/test_semantic_quality.py and bench/semantic.py.
"""

from __future__ import annotations

from tests.knowledge.corpus import Doc, Query

DOCUMENTS = [
    Doc(
        "fr-vat",
        "Déclaration de TVA",
        "Les déclarations de TVA trimestrielles sont à déposer avant le 20 du mois suivant la fin du"
        " trimestre. Tout retard entraîne une majoration de 10 %.",
    ),
    Doc(
        "fr-payroll",
        "Versement des salaires",
        "Les salaires sont virés le dernier jour ouvré de chaque mois. Le bulletin de paie est"
        " disponible dans l'espace personnel dès le lendemain.",
    ),
    Doc(
        "fr-leave",
        "Congés annuels",
        "Chaque salarié dispose de trente jours ouvrables de congé par an. Les demandes passent par"
        " le responsable au moins deux semaines à l'avance.",
    ),
    Doc(
        "fr-sick",
        "Arrêt maladie",
        "En cas de maladie, prévenez votre manager le jour même et transmettez l'arrêt de travail"
        " signé par le médecin sous 48 heures.",
    ),
    Doc(
        "fr-remote",
        "Télétravail",
        "Le travail à domicile est autorisé deux jours par semaine, après accord de l'équipe. Un"
        " ordinateur portable et un écran sont fournis.",
    ),
    Doc(
        "fr-expenses",
        "Notes de frais",
        "Les dépenses professionnelles (train, hôtel, repas) sont remboursées sur présentation des"
        " justificatifs dans un délai de trente jours.",
    ),
    Doc(
        "fr-password",
        "Mot de passe oublié",
        "Pour réinitialiser votre mot de passe, cliquez sur « Mot de passe oublié » : un lien"
        " valable une heure est envoyé à votre adresse électronique.",
    ),
    Doc(
        "fr-vpn",
        "Accès à distance",
        "Le VPN de l'entreprise est obligatoire pour accéder aux serveurs internes depuis"
        " l'extérieur ; installez le client et utilisez votre badge comme second facteur.",
    ),
    Doc(
        "fr-fire",
        "Consignes incendie",
        "En cas d'alarme incendie, évacuez le bâtiment par l'escalier le plus proche, sans prendre"
        " l'ascenseur, et rejoignez le point de rassemblement sur le parking.",
    ),
    Doc(
        "fr-delivery",
        "Délais de livraison",
        "Les commandes passées avant midi sont expédiées le jour même ; l'acheminement prend deux"
        " à trois jours ouvrés en métropole.",
    ),
    Doc(
        "fr-returns",
        "Retours et remboursements",
        "Un article peut être renvoyé dans les quatorze jours suivant sa réception s'il est dans son"
        " emballage d'origine ; le remboursement intervient sous dix jours.",
    ),
    Doc(
        "fr-rooms",
        "Réservation des salles",
        "Les salles de réunion se réservent dans l'agenda partagé ; une réservation non occupée au"
        " bout de quinze minutes est libérée automatiquement.",
    ),
    Doc(
        "fr-parking",
        "Stationnement",
        "Le parking souterrain est réservé aux détenteurs d'un badge ; les vélos se garent dans le"
        " local situé près de l'entrée B.",
    ),
    Doc(
        "fr-canteen",
        "Restaurant d'entreprise",
        "La cantine est ouverte de 11 h 30 à 14 h ; le repas est subventionné à moitié par"
        " l'employeur et réglé avec la carte professionnelle.",
    ),
    Doc(
        "fr-gdpr",
        "Données personnelles",
        "Toute personne peut demander l'accès, la rectification ou l'effacement des informations"
        " la concernant en écrivant au délégué à la protection des données.",
    ),
    Doc(
        "fr-training",
        "Formation continue",
        "Chaque collaborateur bénéficie d'un budget annuel de formation ; les demandes de stage"
        " sont validées lors de l'entretien individuel.",
    ),
    Doc(
        "fr-printer",
        "Imprimantes",
        "Pour imprimer, envoyez le fichier vers la file d'attente commune puis badgez sur"
        " n'importe quel copieur de l'étage.",
    ),
    Doc(
        "fr-onboarding",
        "Arrivée d'un nouveau salarié",
        "Le premier jour, le nouvel arrivant reçoit son badge et son ordinateur, puis rencontre son"
        " parrain qui l'accompagne pendant la période d'essai.",
    ),
    Doc(
        "en-invoice",
        "Invoice payment terms",
        "Invoices are payable within thirty days of issue by bank transfer; late payments incur a"
        " penalty of 1.5% per month.",
    ),
    Doc(
        "en-subscription",
        "Cancelling a subscription",
        "You can cancel your subscription at any time from the billing page; the plan stays active"
        " until the end of the current period and is not renewed.",
    ),
    Doc(
        "en-status",
        "Service status",
        "If the platform is unreachable, check the status page first; incidents are posted there"
        " within ten minutes with an estimated time to recovery.",
    ),
    Doc(
        "en-2fa",
        "Two-factor authentication",
        "Turn on two-factor authentication in your security settings and scan the QR code with an"
        " authenticator app; backup codes let you sign in if you lose your phone.",
    ),
    Doc(
        "en-api-key",
        "API keys",
        "Create an API key from the developer settings; keys are shown only once, so store them in"
        " a secret manager and rotate them every ninety days.",
    ),
    Doc(
        "en-export",
        "Exporting your data",
        "Owners can download a complete copy of the workspace as a single file from the"
        " administration page; the link expires after ten minutes.",
    ),
    Doc(
        "en-storage",
        "Storage limits",
        "The free plan includes 100 MiB of storage; uploads that would exceed the limit are refused"
        " until files are deleted or the plan is upgraded.",
    ),
    Doc(
        "en-transcription",
        "Audio transcription",
        "Upload a recording and the voice agent turns speech into text; French, English and Arabic"
        " are recognized, and subtitles can be downloaded.",
    ),
    Doc(
        "en-rate-limit",
        "Request limits",
        "Each organization may send a fixed number of API calls per minute; when the limit is"
        " reached, the server answers with an error and a retry-after delay.",
    ),
    Doc(
        "en-roles",
        "Member roles",
        "Owners manage billing and can delete the workspace; admins invite and remove members;"
        " regular members can only read and add documents.",
    ),
    Doc(
        "en-backup",
        "Backups",
        "Databases are backed up every night to a second data center, encrypted at rest, and a"
        " restore is rehearsed once a month.",
    ),
    Doc(
        "en-holidays",
        "Public holidays",
        "The office is closed on national public holidays; when a holiday falls on a weekend, the"
        " following Monday is not given off.",
    ),
    Doc(
        "en-laptop",
        "Laptop replacement",
        "A broken laptop is replaced within two working days; bring it to the IT desk and back up"
        " your files beforehand.",
    ),
    Doc(
        "en-travel",
        "Travel booking",
        "Business trips are booked through the travel portal; economy class is the rule for flights"
        " under six hours.",
    ),
    Doc(
        "en-review",
        "Code review",
        "Every change needs approval from one other engineer before it is merged; reviewers answer"
        " within one working day.",
    ),
    Doc(
        "en-on-call",
        "On-call duty",
        "Engineers take turns being on call for a week; pages must be acknowledged within fifteen"
        " minutes, day or night.",
    ),
    Doc(
        "en-harassment",
        "Reporting harassment",
        "Anyone who experiences or witnesses harassment can report it confidentially to HR or"
        " through the anonymous ethics line.",
    ),
    Doc(
        "en-performance",
        "Performance reviews",
        "Performance reviews take place twice a year; employees set goals with their manager and"
        " receive written feedback.",
    ),
]

# For each document: the same language first, then the other one.
QUERIES = [
    Query("Quelle est l'échéance pour la TVA ?", "fr-vat"),
    Query("When is the VAT return due?", "fr-vat"),
    Query("À quelle date les employés touchent-ils leur rémunération ?", "fr-payroll"),
    Query("When do staff get their monthly pay?", "fr-payroll"),
    Query("Combien de vacances ai-je droit chaque année ?", "fr-leave"),
    Query("How many days off do employees get per year?", "fr-leave"),
    Query("Je suis malade aujourd'hui, que faire ?", "fr-sick"),
    Query("What should I do if I'm ill and can't come in?", "fr-sick"),
    Query("Est-il possible de bosser depuis la maison certains jours ?", "fr-remote"),
    Query("Can I work from home?", "fr-remote"),
    Query("Comment récupérer l'argent avancé pour un déplacement ?", "fr-expenses"),
    Query("How do I get reimbursed for costs of a business trip?", "fr-expenses"),
    Query("Je n'arrive plus à me connecter, j'ai perdu mon code secret", "fr-password"),
    Query("I forgot my password, how do I reset it?", "fr-password"),
    Query("Comment joindre le réseau interne quand je suis en déplacement ?", "fr-vpn"),
    Query("How can I reach internal systems from outside the office?", "fr-vpn"),
    Query("Que faire si le feu se déclare dans les locaux ?", "fr-fire"),
    Query("What is the evacuation procedure when there is a fire?", "fr-fire"),
    Query("En combien de temps vais-je recevoir mon colis ?", "fr-delivery"),
    Query("How long does shipping take?", "fr-delivery"),
    Query("Puis-je rendre un produit qui ne me plaît pas ?", "fr-returns"),
    Query("Can I send back an item I bought and get my money back?", "fr-returns"),
    Query("Comment retenir un espace pour rencontrer des clients ?", "fr-rooms"),
    Query("How do I book a conference room?", "fr-rooms"),
    Query("Où puis-je laisser ma voiture ?", "fr-parking"),
    Query("Where can I leave my bicycle?", "fr-parking"),
    Query("À quelle heure peut-on déjeuner sur place ?", "fr-canteen"),
    Query("What are the lunch hours at the staff cafeteria?", "fr-canteen"),
    Query("Comment demander qu'on supprime mes données ?", "fr-gdpr"),
    Query("How can a customer ask us to erase their personal information?", "fr-gdpr"),
    Query("L'entreprise paie-t-elle des cours pour progresser ?", "fr-training"),
    Query("Does the company fund professional development courses?", "fr-training"),
    Query("Comment obtenir une copie papier d'un document ?", "fr-printer"),
    Query("How do I print something?", "fr-printer"),
    Query("Comment se passe la première journée d'une recrue ?", "fr-onboarding"),
    Query("What happens on a new hire's first day?", "fr-onboarding"),
    Query("How long do customers have to settle a bill?", "en-invoice"),
    Query("Sous combien de temps faut-il régler une facture ?", "en-invoice"),
    Query("How do I end my membership?", "en-subscription"),
    Query("Comment résilier mon abonnement ?", "en-subscription"),
    Query("Where can I see whether the site is down?", "en-status"),
    Query("Où savoir si le service est en panne ?", "en-status"),
    Query("How do I add an extra verification step when logging in?", "en-2fa"),
    Query("Comment activer la double vérification à la connexion ?", "en-2fa"),
    Query("Where do I generate credentials for programmatic access?", "en-api-key"),
    Query("Comment obtenir une clé pour utiliser l'interface de programmation ?", "en-api-key"),
    Query("Can we download everything our team has stored here?", "en-export"),
    Query("Comment récupérer une copie complète de notre espace de travail ?", "en-export"),
    Query("What happens when our storage is full?", "en-storage"),
    Query("Que se passe-t-il quand l'espace disque est plein ?", "en-storage"),
    Query("Can the system convert a voice memo into written words?", "en-transcription"),
    Query("Peut-on obtenir le texte d'un enregistrement sonore ?", "en-transcription"),
    Query("Why am I getting throttled?", "en-rate-limit"),
    Query("Pourquoi mes appels sont-ils refusés quand j'en envoie trop ?", "en-rate-limit"),
    Query("What permissions does each type of user have?", "en-roles"),
    Query("Qui a le droit d'ajouter des collègues à l'espace ?", "en-roles"),
    Query("How often are copies of our databases made?", "en-backup"),
    Query("À quelle fréquence les sauvegardes sont-elles faites ?", "en-backup"),
    Query("Do we work on bank holidays?", "en-holidays"),
    Query("Le bureau est-il fermé les jours fériés ?", "en-holidays"),
    Query("My computer stopped working, what now?", "en-laptop"),
    Query("Mon ordinateur portable est cassé, comment en obtenir un autre ?", "en-laptop"),
    Query("How do I arrange flights for a work journey?", "en-travel"),
    Query("Comment réserver un vol pour une mission professionnelle ?", "en-travel"),
    Query("Who has to sign off on my pull request?", "en-review"),
    Query("Faut-il qu'un collègue relise mon code avant la fusion ?", "en-review"),
    Query("How fast must I respond to an alert at night?", "en-on-call"),
    Query("Qui doit intervenir en cas d'urgence technique la nuit ?", "en-on-call"),
    Query("How can I raise a concern about inappropriate behaviour at work?", "en-harassment"),
    Query("Comment signaler un comportement déplacé d'un collègue ?", "en-harassment"),
    Query("When is my yearly evaluation?", "en-performance"),
    Query("Quand a lieu l'entretien d'évaluation annuel ?", "en-performance"),
]

# Exact terms must still win: identifiers that the encoder reads as near-identical.
IDENTIFIER_DOCUMENTS = [
    Doc(
        "inc-20417",
        "Incident INC-20417",
        "The payment gateway timed out for card payments during the nightly batch.",
    ),
    Doc(
        "inc-20471",
        "Incident INC-20471",
        "The payment gateway rejected card payments during the nightly batch.",
    ),
    Doc(
        "err-e4012",
        "Erreur E-4012",
        "La licence du poste a expiré : contactez l'administrateur pour la renouveler.",
    ),
    Doc(
        "err-e4013",
        "Erreur E-4013",
        "Le serveur de licences est injoignable : vérifiez la connexion au réseau.",
    ),
]
IDENTIFIER_QUERIES = [
    Query("INC-20417", "inc-20417"),
    Query("INC-20471", "inc-20471"),
    Query("E-4012", "err-e4012"),
    Query("erreur E-4013", "err-e4013"),
]
