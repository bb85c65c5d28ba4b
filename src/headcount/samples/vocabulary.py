"""Reference data of the sample HR files: sites, the organization tree, names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    city: str
    country: str
    timezone: str


SITES = [
    Site("PAR", "Siège social — Paris", "Paris", "France", "Europe/Paris"),
    Site("LYO", "Site de production de Lyon", "Lyon", "France", "Europe/Paris"),
    Site("MRS", "Agence de Marseille", "Marseille", "France", "Europe/Paris"),
    Site("BRU", "Bureau de Bruxelles", "Bruxelles", "Belgique", "Europe/Brussels"),
    Site("MUC", "Büro München", "München", "Deutschland", "Europe/Berlin"),
    Site("MAD", "Oficina de Madrid", "Madrid", "España", "Europe/Madrid"),
    Site("NYC", "New York Office", "New York", "United States", "America/New_York"),
    Site("TYO", "Tokyo Office (東京オフィス)", "Tokyo", "Japan", "Asia/Tokyo"),
]
EUROPEAN_SITES = ["PAR", "LYO", "MRS", "BRU", "MUC", "MAD"]


@dataclass(frozen=True)
class OrgSpec:
    """One organization of the tree. Staff titles come from the nearest organization that has
    some; `weight` is how many people it holds relative to the others; `spread` is the share of
    its people working at another European site than its own."""

    name: str
    site: str = "PAR"
    titles: tuple[str, ...] = ()
    head_title: str | None = None
    weight: float = 1.0
    spread: float = 0.15
    children: tuple[OrgSpec, ...] = ()


def _dept(name: str, site: str = "PAR", weight: float = 1.0, spread: float = 0.15,
          head_title: str | None = None, children: tuple[OrgSpec, ...] = ()) -> OrgSpec:
    """A department: its staff titles are those of its division."""
    return OrgSpec(name, site, head_title=head_title, weight=weight, spread=spread,
                   children=children)


ASSISTANTS = ("Assistant de direction", "Chargé de mission")

TREE = OrgSpec(
    "Direction générale", "PAR",
    titles=("Assistant de direction", "Chef de cabinet", "Chargé de mission",
            "Conseiller du président"),
    head_title="Directeur général", weight=0.3, spread=0.0,
    children=(
        OrgSpec(
            "Direction financière", "PAR",
            titles=("Comptable", "Assistant comptable", "Analyste financier",
                    "Contrôleur de gestion", "Trésorier", "Fiscaliste", "Auditeur interne"),
            head_title="Directeur financier", weight=0.1,
            children=(
                _dept("Comptabilité fournisseurs", weight=1.5),
                _dept("Comptabilité clients", weight=1.5),
                _dept("Trésorerie", weight=0.6),
                _dept("Contrôle de gestion"),
                _dept("Fiscalité", weight=0.5),
                _dept("Audit interne", weight=0.5),
            ),
        ),
        OrgSpec(
            "Ressources humaines", "PAR",
            titles=("Gestionnaire de paie", "Chargé de recrutement", "Chargé de formation",
                    "Juriste en droit social", "Chargé de développement RH", "Assistant RH",
                    "Gestionnaire RH"),
            head_title="Directeur des ressources humaines", weight=0.1,
            children=(
                _dept("Paie & administration du personnel", weight=1.2),
                _dept("Recrutement"),
                _dept("Formation", weight=0.7),
                _dept("Relations sociales", weight=0.5),
                _dept("Développement RH", weight=0.6),
            ),
        ),
        OrgSpec(
            "Systèmes d'information", "PAR",
            titles=("Ingénieur système", "Administrateur réseau", "Développeur",
                    "Analyste sécurité", "Technicien support", "Chef de projet informatique",
                    "Architecte logiciel", "Data engineer", "Data analyst", "Ingénieur DevOps"),
            head_title="Directeur des systèmes d'information", weight=0.1,
            children=(
                _dept("Infrastructure", weight=1.2),
                _dept("Réseaux & télécoms", weight=0.8),
                _dept("Sécurité informatique", weight=0.8),
                _dept("Support utilisateurs", weight=1.5, spread=0.4),
                _dept("Applications métier", weight=0.3, children=(
                    _dept("Équipe ERP", weight=1.2),
                    _dept("Équipe CRM"),
                )),
                _dept("Données & décisionnel"),
            ),
        ),
        OrgSpec(
            "Recherche, Développement & Innovation", "LYO",
            titles=("Ingénieur de recherche", "Chercheur", "Technicien de laboratoire",
                    "Ingénieur d'essais", "Ingénieur brevets", "Doctorant"),
            head_title="Directeur de la recherche", weight=0.1,
            children=(
                _dept("Laboratoire matériaux", "LYO", weight=1.5),
                _dept('Le "Lab"', "PAR", head_title='Directeur du "Lab"'),
                _dept("Prototypage", "LYO"),
                _dept("Propriété intellectuelle", weight=0.4),
                _dept("Essais & qualification", "LYO"),
            ),
        ),
        OrgSpec(
            "Direction industrielle", "LYO",
            titles=("Opérateur de production", "Conducteur de ligne", "Technicien de maintenance",
                    "Cariste", "Magasinier", "Technicien qualité", "Acheteur", "Approvisionneur",
                    "Animateur HSE"),
            head_title="Directeur industriel", weight=0.1, spread=0.05,
            children=(
                _dept("Usine de Lyon", "LYO", weight=0.3, spread=0.0, children=(
                    _dept("Atelier d'assemblage", "LYO", weight=5.0, spread=0.0),
                    _dept("Atelier de peinture", "LYO", weight=3.0, spread=0.0),
                )),
                _dept("Maintenance", "LYO", weight=1.5, spread=0.05),
                _dept("Logistique", "LYO", weight=2.5, spread=0.2),
                _dept("Qualité", "LYO", spread=0.1),
                _dept("Achats", "PAR", weight=0.8),
                _dept("Hygiène, sécurité & environnement", "LYO", weight=0.5),
            ),
        ),
        OrgSpec(
            "Direction commerciale", "PAR",
            titles=("Commercial", "Ingénieur commercial", "Chargé de clientèle",
                    "Chef de produit", "Chargé de marketing", "Ingénieur avant-vente",
                    "Conseiller clientèle", "Key account manager"),
            head_title="Directeur commercial", weight=0.1,
            children=(
                _dept("Ventes France", weight=0.3, children=(
                    _dept("Région Nord", "PAR", weight=1.5),
                    _dept("Région Sud", "MRS", weight=1.5, spread=0.05),
                )),
                _dept("Ventes Europe", "BRU", weight=2.0, spread=0.7),
                _dept("Ventes Amériques", "NYC", weight=1.5, spread=0.0),
                _dept("Ventes Asie-Pacifique", "TYO", weight=1.0, spread=0.0),
                _dept("Marketing", weight=1.2),
                _dept("Service clients", "MRS", weight=2.0, spread=0.1),
                _dept("Avant-vente", weight=0.7),
            ),
        ),
        OrgSpec(
            "Juridique & conformité", "PAR",
            titles=("Juriste", "Juriste contrats", "Chargé de conformité",
                    "Délégué à la protection des données", "Paralegal"),
            head_title="Directeur juridique", weight=0.1,
            children=(
                _dept("Contrats", weight=0.6),
                _dept("Conformité", weight=0.5),
                _dept("Protection des données", weight=0.3),
            ),
        ),
        OrgSpec(
            "Communication", "PAR",
            titles=("Chargé de communication", "Attaché de presse",
                    "Chef de projet événementiel", "Graphiste", "Rédacteur"),
            head_title="Directeur de la communication", weight=0.1,
            children=(
                _dept("Communication interne", weight=0.5),
                _dept("Relations presse", weight=0.4),
                _dept("Événements", weight=0.5),
            ),
        ),
        OrgSpec(
            "Services généraux", "PAR",
            titles=("Chargé des services généraux", "Hôte d'accueil", "Agent de sûreté",
                    "Gestionnaire immobilier", "Agent courrier"),
            head_title="Directeur des services généraux", weight=0.1,
            children=(
                _dept("Immobilier", weight=0.4),
                _dept("Accueil & courrier", weight=0.6, spread=0.3),
                _dept("Sûreté", weight=0.6, spread=0.3),
            ),
        ),
    ),
)

# The next day: a new organization under the IT division, and a renamed one.
NEW_ORG_PARENT = "Systèmes d'information"
NEW_ORG_NAME = "Intelligence artificielle"
NEW_ORG_TITLES = ("Data scientist", "Ingénieur en apprentissage automatique", "Ingénieur MLOps")
RENAMED_ORG = ("Services généraux", "Environnement de travail")

FIRST_NAMES = [
    "Jean", "Marie", "Pierre", "Sophie", "Nicolas", "Camille", "Julien", "Émilie", "Thomas", "Léa",
    "Antoine", "Chloé", "Mathieu", "Inès", "François", "Hélène", "Jérôme", "Amélie", "Stéphane",
    "Céline", "Frédéric", "Élodie", "Sébastien", "Aurélie", "Grégoire", "Noémie", "Loïc", "Anaïs",
    "Benoît", "Maëlle", "Gaël", "Zoé", "Raphaël", "Héloïse", "Joël", "Cécile", "Rémi", "Mélanie",
    "André", "Thérèse", "Jean-François", "Marie-Hélène", "Jean-Luc", "Anne-Sophie", "Léon", "Manon",
    "Hugo", "Clémence", "Lucas", "Océane", "Théo", "Margaux", "Maxime", "Laëtitia", "Guillaume",
    "Sandrine", "Olivier", "Isabelle", "Philippe", "Nathalie", "Christophe", "Valérie", "Laurent",
    "Véronique", "Éric", "Géraldine", "Hervé", "Agnès", "Yannick", "Gwénaëlle", "Ludovic",
    "Bérénice", "Damien", "Solène", "Adrien", "Mégane", "Baptiste", "Pénélope", "Björn", "Jürgen",
    "Søren", "Åsa", "Jörg", "Birgit", "Günther", "Käthe", "Lukas", "Annika", "Sérgio", "João",
    "Conceição", "José", "Íñigo", "Begoña", "Iñaki", "Núria", "Ángel", "Fátima", "Giulia",
    "Niccolò", "Thaïs", "Ingrid", "Þóra", "Ólafur", "Sigrún", "Astrid", "Mohamed", "Yasmine",
    "Karim", "Aïssatou", "Mamadou", "Fatoumata", "Hiroshi", "Yuki", "Wei", "Mei", "Noël", "Anouk",
    "Siân", "Dónal", "Aoife", "Seán", "Zoë", "Chiara", "Luís", "Inês",
]

LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Henry", "Roussel", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
    "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis",
    "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas",
    "Meunier", "Pérez", "Marchand", "Dufour", "Blanchard", "Barbier", "Brun", "Dumas", "Brunet",
    "Schmitt", "Leroux", "Colin", "Fernandez", "Renard", "Arnaud", "Rolland", "Caron", "Aubert",
    "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard",
    "Leclercq", "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert",
    "Rivière", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin", "Gonzalez", "Berger", "Lecomte",
    "Ménard", "Fleury", "Deschamps", "Carpentier", "Benoît", "Maillard", "Marchal", "Aubry",
    "Vasseur", "Le Roux", "Renault", "Jacquet", "Collet", "Prévost", "Poirier", "Charpentier",
    "Royer", "Huet", "Baron", "Dupuy", "Pons", "Lainé", "Carré", "Breton", "Rémy", "Schneider",
    "Perrot", "Guyot", "Barré", "Marty", "Cousin", "Bégué", "Lemaître", "Crépin", "Hébert",
    "Besançon", "Françon", "Garçon", "Müller", "Böhm", "Schäfer", "Weiß", "Krüger", "Köhler",
    "Østergaard", "Søndergaard", "Jørgensen", "Ødegaard", "Åberg", "Ström", "Håkansson",
    "Lindqvist", "Muñoz", "Peña", "Núñez", "Ibáñez", "Fernández", "Gonçalves", "Conceição", "Gómez",
    "Álvarez", "Öztürk", "Çelik", "Þórsdóttir", "Guðmundsson", "de La Fontaine", "D'Almeida",
    "N'Diaye", "Le Bihan", "Saint-Exupéry", "Dos Santos", "Van der Berg", "O'Brien", "Diallo",
    "Traoré", "Haddad", "Benali", "Tanaka", "Suzuki", "Wang", "Rossi", "Esposito", "Ferrari",
    "Bianchi", "Kowalski", "Novák", "Horváth",
]
