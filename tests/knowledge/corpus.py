"""A small bilingual knowledge base and the questions it should answer, for the retrieval-
quality test (tests/knowledge/test_retrieval_quality.py) and bench/retrieval.py.

Documents are short and on neighbouring subjects, so that a query must find the right one
among several that share words. Queries use other inflections than the documents, drop
accents, misspell words, or are a single word; each names the document that should come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    content: str


@dataclass(frozen=True)
class Query:
    text: str
    expected: str  # the key of the best document


DOCUMENTS = [
    Doc(
        "fr-asr",
        "Reconnaissance vocale",
        "Les réseaux de neurones profonds transforment la reconnaissance vocale. Un modèle acoustique"
        " convertit le signal audio en texte, même dans un environnement bruyant.",
    ),
    Doc(
        "fr-darija",
        "Transcription de la darija",
        "La transcription automatique de la darija algérienne reste difficile : peu de données"
        " annotées existent et les locuteurs alternent souvent avec le français.",
    ),
    Doc(
        "fr-tts",
        "Synthèse de la parole",
        "La synthèse vocale produit une voix naturelle à partir d'un texte écrit. Les voix"
        " récentes imitent l'intonation et les pauses d'un locuteur humain.",
    ),
    Doc(
        "fr-translation",
        "Traduction automatique",
        "Les systèmes de traduction automatique neuronale traduisent des phrases entières entre"
        " l'arabe, le français et l'anglais en conservant le contexte.",
    ),
    Doc(
        "fr-ocr",
        "Numérisation des archives",
        "La reconnaissance optique de caractères permet de numériser les archives papier des"
        " administrations et de rendre les documents scannés consultables.",
    ),
    Doc(
        "fr-rgpd",
        "Protection des données personnelles",
        "Le traitement des données personnelles exige le consentement des personnes concernées,"
        " une durée de conservation limitée et un registre des traitements.",
    ),
    Doc(
        "fr-invoice",
        "Facturation mensuelle",
        "Chaque facture mensuelle détaille la consommation de minutes audio et le stockage."
        " Le paiement se fait par virement bancaire avant la fin du mois.",
    ),
    Doc(
        "fr-onboarding",
        "Accueil des nouveaux employés",
        "Le parcours d'intégration des nouveaux salariés comprend une formation à la sécurité,"
        " la remise du matériel informatique et un tuteur pendant trois mois.",
    ),
    Doc(
        "fr-leave",
        "Congés payés",
        "Les salariés acquièrent deux jours et demi de congés payés par mois travaillé. Les"
        " demandes de congé sont validées par le responsable d'équipe.",
    ),
    Doc(
        "fr-agri",
        "Irrigation intelligente",
        "Des capteurs d'humidité du sol pilotent l'irrigation des cultures dans les oasis et"
        " réduisent la consommation d'eau pendant les périodes de sécheresse.",
    ),
    Doc(
        "fr-energy",
        "Énergie solaire",
        "Les centrales photovoltaïques du Sahara produisent de l'électricité ; la prévision de"
        " l'ensoleillement aide à équilibrer le réseau électrique.",
    ),
    Doc(
        "fr-health",
        "Imagerie médicale",
        "L'analyse des radiographies thoraciques par apprentissage profond aide les médecins à"
        " dépister la tuberculose et la pneumonie plus tôt.",
    ),
    Doc(
        "fr-chatbot",
        "Assistant conversationnel",
        "L'assistant conversationnel répond aux questions des clients en s'appuyant sur la base"
        " de connaissances de l'entreprise et cite ses sources.",
    ),
    Doc(
        "fr-security",
        "Authentification des utilisateurs",
        "Les jetons d'accès expirent après trente minutes ; un jeton de rafraîchissement permet"
        " d'en obtenir un nouveau sans saisir à nouveau le mot de passe.",
    ),
    Doc(
        "fr-backup",
        "Sauvegardes",
        "Les sauvegardes de la base de données sont chiffrées et copiées chaque nuit vers un"
        " second centre de données ; une restauration est testée chaque mois.",
    ),
    Doc(
        "fr-recipe",
        "Couscous traditionnel",
        "La recette du couscous demande de la semoule roulée à la main, des légumes de saison"
        " et un bouillon parfumé au ras el hanout.",
    ),
    Doc(
        "fr-football",
        "Championnat de football",
        "L'équipe nationale a remporté le match grâce à un but marqué dans les dernières"
        " minutes ; les supporters ont célébré la victoire toute la nuit.",
    ),
    Doc(
        "fr-weather",
        "Prévisions météorologiques",
        "Un vent de sable est attendu dans le sud ; les températures dépasseront quarante"
        " degrés et des orages isolés pourraient toucher les hauts plateaux.",
    ),
    Doc(
        "en-asr",
        "Speech recognition benchmarks",
        "Word error rate measures how many words a speech recognizer gets wrong. Modern"
        " recognizers reach low error rates on clean read speech but struggle with accents.",
    ),
    Doc(
        "en-diarization",
        "Speaker diarization",
        "Diarization answers the question who spoke when: it splits a meeting recording into"
        " turns and assigns each turn to a speaker.",
    ),
    Doc(
        "en-embeddings",
        "Text embeddings",
        "Embeddings map sentences to dense vectors so that similar meanings lie close together;"
        " vector databases search them by cosine similarity.",
    ),
    Doc(
        "en-finetune",
        "Fine-tuning language models",
        "Fine-tuning adapts a pretrained language model to a narrow task with a few thousand"
        " labelled examples, which is cheaper than training from scratch.",
    ),
    Doc(
        "en-gpu",
        "GPU scheduling",
        "The scheduler queues training jobs and assigns each one to a free GPU; long jobs are"
        " checkpointed so that they can be preempted and resumed.",
    ),
    Doc(
        "en-rate-limit",
        "Rate limiting",
        "Every tenant may send a fixed number of requests per minute. Clients that exceed the"
        " limit receive an error with a retry-after delay.",
    ),
    Doc(
        "en-tenancy",
        "Tenant isolation",
        "Row-level security policies ensure that one tenant can never read another tenant's"
        " rows, even when an application query forgets a filter.",
    ),
    Doc(
        "en-running",
        "Marathon training plan",
        "She runs forty miles a week and adds one long run every Sunday; runners who train"
        " steadily avoid injuries before the race.",
    ),
    Doc(
        "en-coffee",
        "Brewing coffee",
        "Pour-over coffee needs freshly ground beans, water just below boiling and a slow,"
        " even pour over about three minutes.",
    ),
    Doc(
        "en-garden",
        "Growing tomatoes",
        "Tomatoes need six hours of sunlight, deep watering twice a week and a stake to support"
        " the plants as the fruit ripens.",
    ),
    Doc(
        "en-invoice",
        "Invoices and payment terms",
        "Invoices are issued on the first day of the month and are payable within thirty days"
        " by card or bank transfer.",
    ),
    Doc(
        "en-privacy",
        "Privacy policy",
        "We collect only the personal data needed to provide the service, keep it for as long"
        " as the account exists, and delete it on request.",
    ),
    Doc(
        "en-translation",
        "Machine translation quality",
        "BLEU compares a machine translation with human reference translations by counting"
        " shared word sequences; it correlates only loosely with human judgement.",
    ),
    Doc(
        "en-ocr",
        "Handwriting recognition",
        "Handwritten forms are harder to digitize than printed pages: the recognizer must cope"
        " with joined letters and uneven lines.",
    ),
    Doc(
        "en-hiring",
        "Hiring process",
        "Candidates complete a short take-home exercise, then meet two engineers and a manager;"
        " we answer every applicant within two weeks.",
    ),
    Doc(
        "en-outage",
        "Incident report",
        "A misconfigured load balancer dropped connections for twelve minutes; the on-call"
        " engineer rolled back the change and added an alert.",
    ),
    Doc(
        "en-solar",
        "Solar panels at home",
        "Rooftop solar panels with a battery can cover most of a household's electricity use"
        " in sunny regions and pay for themselves within eight years.",
    ),
    Doc(
        "en-vision",
        "Medical imaging with deep learning",
        "Convolutional networks trained on chest X-rays flag suspicious findings for a"
        " radiologist to review, shortening the time to diagnosis.",
    ),
]

QUERIES = [
    # the French example: inflections, no accents, a neighbouring word
    Query("réseaux de neurones", "fr-asr"),
    Query("reseaux neuronaux", "fr-asr"),
    Query("reconnaissance de la parole", "fr-asr"),
    # French: other inflections, accents dropped, misspellings
    Query("transcrire la darija", "fr-darija"),
    Query("synthese vocale naturelle", "fr-tts"),
    Query("traductions neuronales arabe", "fr-translation"),
    Query("numeriser archives scannees", "fr-ocr"),
    Query("consentement donnees personnelles", "fr-rgpd"),
    Query("conges payes", "fr-leave"),
    Query("irigation des cultures", "fr-agri"),
    Query("prévision ensoleillement", "fr-energy"),
    Query("tuberculose", "fr-health"),
    Query("jeton de rafraichissement", "fr-security"),
    Query("sauvegarde chiffrée", "fr-backup"),
    Query("couscou", "fr-recipe"),
    Query("vent de sable", "fr-weather"),
    # English: stemming, misspellings, short queries
    Query("running", "en-running"),
    Query("word error rates", "en-asr"),
    Query("who spoke when", "en-diarization"),
    Query("embedding vectors cosine", "en-embeddings"),
    Query("finetuning pretrained models", "en-finetune"),
    Query("GPU scheduling preemption", "en-gpu"),
    Query("requests per minute limit", "en-rate-limit"),
    Query("row level security", "en-tenancy"),
    Query("tomatos", "en-garden"),
    Query("handwritten", "en-ocr"),
    Query("load balancer outage", "en-outage"),
    Query("rooftop solar battery", "en-solar"),
    Query("chest x-rays", "en-vision"),
    Query("BLEU score", "en-translation"),
    # harder: neighbours share words, or the query's words are not the document's
    Query("apprentissage profond radiographie", "fr-health"),
    Query("modele acoustique bruit", "fr-asr"),
    Query("sécheresse eau", "fr-agri"),
    Query("mot de passe", "fr-security"),
    Query("payable within thirty days", "en-invoice"),
    Query("bank transfer", "en-invoice"),
    Query("marathon runners injuries", "en-running"),
    Query("speaker turns in a meeting", "en-diarization"),
]


@dataclass
class Report:
    hit_at_1: float
    hit_at_3: float
    mrr: float  # mean reciprocal rank of the expected document (0 when absent from the top 10)
    misses: list[str]  # queries whose expected document is not first: "query -> got [...]"

    def line(self) -> str:
        return f"hit@1 {self.hit_at_1:.2f}  hit@3 {self.hit_at_3:.2f}  MRR {self.mrr:.2f}"


ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
SEARCH = "query($q: String!) { searchKnowledge(query: $q, first: 10) { document { id } score } }"


def load(client: Any, token: str) -> dict[str, str]:
    """Adds every document through the API; returns document id -> corpus key."""
    keys = {}
    for doc in DOCUMENTS:
        added = client.data(ADD, {"i": {"title": doc.title, "content": doc.content}}, token=token)
        keys[added["addDocument"]["id"]] = doc.key
    return keys


def evaluate(client: Any, token: str, keys: dict[str, str]) -> Report:
    """Runs every query through searchKnowledge and scores the ranking."""
    at_1 = at_3 = 0
    reciprocal = 0.0
    misses = []
    for query in QUERIES:
        hits = client.data(SEARCH, {"q": query.text}, token=token)["searchKnowledge"]
        ranked = [keys.get(hit["document"]["id"], "other") for hit in hits]
        if query.expected in ranked:
            rank = ranked.index(query.expected) + 1
            reciprocal += 1 / rank
            at_1 += rank == 1
            at_3 += rank <= 3
        if not ranked or ranked[0] != query.expected:
            misses.append(f"{query.text!r} -> {ranked[:3]} (expected {query.expected})")
    total = len(QUERIES)
    return Report(at_1 / total, at_3 / total, reciprocal / total, misses)
