"""French text for the sample: accent stripping, AFNOR/Enedis spellings and the name pools."""

from __future__ import annotations

import unicodedata
from functools import cache

# œ and æ do not decompose under NFKD; the AFNOR and Enedis spellings write them out.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})


@cache
def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def afnor(text: str) -> str:
    """Upper case, no accents, apostrophes and hyphens as spaces: `RUE DE L EGLISE`."""
    plain = strip_accents(text).upper().replace("'", " ").replace("-", " ")
    return " ".join(plain.split())


# BAN street type (full form) -> (Enedis full upper case, Enedis abbreviation).
# Trap: Enedis writes the type in full (`AVENUE`, as the 2022 extract) or abbreviated (`AV`).
STREET_TYPES: dict[str, tuple[str, str]] = {
    "Rue": ("RUE", "RUE"),
    "Avenue": ("AVENUE", "AV"),
    "Boulevard": ("BOULEVARD", "BD"),
    "Cours": ("COURS", "CRS"),
    "Chemin": ("CHEMIN", "CHE"),
    "Impasse": ("IMPASSE", "IMP"),
    "Place": ("PLACE", "PL"),
    "Allée": ("ALLEE", "ALL"),
    "Route": ("ROUTE", "RTE"),
    "Quai": ("QUAI", "QUAI"),
    "Square": ("SQUARE", "SQ"),
    "Passage": ("PASSAGE", "PAS"),
    "Montée": ("MONTEE", "MTE"),
    "Traverse": ("TRAVERSE", "TRA"),
    "Résidence": ("RESIDENCE", "RES"),
    "Esplanade": ("ESPLANADE", "ESP"),
    "Promenade": ("PROMENADE", "PROM"),
    "Rond-Point": ("ROND POINT", "RPT"),
    "Lieu-dit": ("", ""),  # BAN names a lieu-dit without a type word
}

# Street-type weights in a dense city core and in a village; a commune interpolates by density.
URBAN_TYPE_WEIGHTS = {
    "Rue": 44, "Avenue": 14, "Boulevard": 5, "Cours": 1.5, "Chemin": 4, "Impasse": 8,
    "Place": 4, "Allée": 6, "Route": 2, "Quai": 1.5, "Square": 2, "Passage": 2,
    "Montée": 1, "Traverse": 1, "Résidence": 1.5, "Esplanade": 0.5, "Promenade": 0.5,
    "Rond-Point": 0.5, "Lieu-dit": 0,
}  # fmt: skip
RURAL_TYPE_WEIGHTS = {
    "Rue": 26, "Avenue": 3, "Boulevard": 0.5, "Cours": 0.2, "Chemin": 22, "Impasse": 10,
    "Place": 4, "Allée": 5, "Route": 20, "Quai": 0.3, "Square": 0.3, "Passage": 0.5,
    "Montée": 1.5, "Traverse": 0.5, "Résidence": 1, "Esplanade": 0.1, "Promenade": 0.2,
    "Rond-Point": 0.1, "Lieu-dit": 6,
}  # fmt: skip

# What follows the type word: people, places, trees and dates that French streets are named after.
STREET_NAMES: tuple[str, ...] = (
    "de la République", "Victor Hugo", "Jean Jaurès", "de la Gare", "du Général de Gaulle",
    "Pasteur", "des Écoles", "de l'Église", "du Moulin", "des Lilas", "Gambetta", "Voltaire",
    "Jules Ferry", "de la Paix", "du Stade", "du Château", "des Acacias", "Saint-Martin",
    "de la Mairie", "du Maréchal Foch", "de Verdun", "Émile Zola", "Carnot", "de la Liberté",
    "des Tilleuls", "du Commerce", "de Provence", "du Lac", "des Vignes", "de l'Hôtel de Ville",
    "Anatole France", "Louis Pasteur", "Georges Clemenceau", "Paul Bert", "Pierre Brossolette",
    "Jean Moulin", "du 8 Mai 1945", "du 11 Novembre", "de la Fontaine", "des Peupliers",
    "des Chênes", "du Levant", "des Roses", "de la Forêt", "du Pont", "des Jardins",
    "de la Poste", "Marcel Pagnol", "Albert Camus", "Hector Berlioz", "des Marronniers",
    "du Bourg", "de Bellevue", "des Mimosas", "Frédéric Mistral", "Charles de Gaulle",
    "du Maréchal de Lattre de Tassigny", "Édouard Herriot", "Sainte-Anne", "Notre-Dame",
    "des Prés", "du Four", "de l'Égalité", "Marcellin Berthelot", "Lamartine", "Molière",
    "Racine", "Condorcet", "Diderot", "Danton", "Garibaldi", "Thiers", "Mozart",
    "des Châtaigniers", "de la Croix", "du Calvaire", "des Cerisiers", "des Platanes",
    "du Docteur Roux", "Saint-Exupéry", "Jean Monnet", "Aristide Briand", "Henri Barbusse",
    "de la Résistance", "des Fusillés", "du Port", "de la Plage", "des Pins", "de l'Abbaye",
    "du Prieuré", "des Remparts", "de la Halle", "du Marché", "des Tanneurs", "des Cordeliers",
    "de la Source", "du Ruisseau", "de la Rivière", "des Sources", "du Puits", "de la Treille",
    "des Alouettes", "des Hirondelles", "du Belvédère", "de l'Observatoire", "Sadi Carnot",
    "Joseph Ferrand", "Maurice Ravel", "Claude Debussy", "Paul Cézanne", "Auguste Renoir",
    "Louis Blériot", "Roland Garros", "Marie Curie", "Simone Veil", "Olympe de Gouges",
    "George Sand", "Colette", "Alphonse Daudet", "Jules Verne", "Guy de Maupassant",
    "Jean de La Fontaine", "du Président Wilson", "Franklin Roosevelt", "Kennedy",
    "de la Libération", "du 14 Juillet", "Sainte-Thérèse", "Saint-Roch", "Saint-Jacques",
    "Saint-Pierre", "de l'Industrie", "des Artisans", "du Vieux Chêne", "des Lavandières",
    "de la Chapelle", "du Cimetière", "des Fleurs", "des Glycines", "des Œillets",
    "du Clos", "des Bruyères", "des Genêts", "de Paris", "de Lyon", "d'Italie", "d'Espagne",
    "de la Mer", "du Soleil", "des Alpes", "des Cévennes", "du Jura", "des Vosges",
    "René Cassin", "Jean Mermoz", "Léon Blum", "Camille Claudel", "Lazare Hoche",
)  # fmt: skip

# Big towns have more streets of one type than the pool has names: `Rue Pasteur Prolongée`.
NAME_EXTENSIONS = (" Prolongée", " Nord", " Sud", " Haute", " Basse", " Est", " Ouest", " Neuve")

LIEUX_DITS: tuple[str, ...] = (
    "La Garde", "Le Bourg", "Les Granges", "La Fage", "Le Mas", "La Borie", "Les Combes",
    "Le Champ Long", "La Croix Blanche", "Les Essarts", "La Bergerie", "Le Moulin Neuf",
    "La Roussille", "Les Plantiers", "Le Pradel", "La Bastide", "Les Fourches", "Le Colombier",
    "La Vialle", "Les Baraques", "Le Puech", "La Chaumette", "Les Issarts", "Le Verdier",
)  # fmt: skip

QUARTERS: tuple[str, ...] = (
    "Centre-Ville", "Gare", "Hôtel de Ville", "Les Pins", "Saint-Roch", "La Source",
    "Croix des Gardes", "Le Port", "Bellevue", "Les Vignes", "Le Château", "Les Moulins",
    "Grand Parc", "Les Jardins", "Le Prado", "La Madeleine", "Les Sablons", "Le Petit Bois",
    "Pierre Longue", "Montfleury", "La Bocca", "Les Terreaux", "La Guillotière", "Monplaisir",
    "Les Brotteaux", "Saint-Just", "La Croix", "Le Plateau", "Les Hauts", "Le Val", "Les Prés",
    "Les Coteaux", "La Plaine", "Le Mail", "Les Tilleuls", "Champ de Mars", "Les Arcades",
    "Notre-Dame", "Saint-Michel", "Les Remparts",
)  # fmt: skip

RESIDENCES: tuple[str, ...] = (
    "Résidence Les Pins", "Le Gallia", "Villa Saint-Paul", "Les Rives d'Or", "Le Grand Parc",
    "Résidence du Parc", "Les Jardins de la Gare", "Le Belvédère", "Les Terrasses du Lac",
    "Le Clos des Vignes", "Résidence Bellevue", "Les Hauts de Ville", "Le Panorama",
    "Domaine des Oliviers", "Le Paradisier", "Les Cèdres", "Le Majestic", "Résidence Pasteur",
    "Les Floralies", "Le Méridien", "Les Mimosas", "Le Vendôme", "Les Arcades", "Le Trianon",
)  # fmt: skip

# Syllables for synthetic commune names, with a regional touch (Alsace, Brittany, the south).
NAME_ROOTS: tuple[str, ...] = (
    "Ville", "Mont", "Château", "Fontaine", "Roche", "Champ", "Beau", "Val", "Bel", "Brou",
    "Ber", "Mar", "Lan", "Cor", "Vau", "Sau", "Bois", "Mou", "Fleur", "Cha", "Vi", "Lou",
    "Cour", "Puy", "Mor", "Tour", "Bar", "Neu", "Gre", "Mau", "Sal", "Pont", "Mes", "Ro",
    "Ver", "Dam", "Gra", "Lis", "Mon", "Riv", "Sen", "Tan", "Vol", "Aub", "Esc", "Orm",
)  # fmt: skip
NAME_SUFFIXES: dict[str, tuple[str, ...]] = {
    "north": ("ville", "court", "ghem", "becque", "y", "ay", "ières", "mont", "val", "ancourt"),
    "east": ("heim", "willer", "ange", "ey", "ecourt", "bach", "viller", "ingen", "ans", "ot"),
    "west": ("ec", "an", "ou", "ac", "é", "ay", "ière", "ais", "ouët", "eux"),
    "south": ("ac", "argues", "ieux", "an", "as", "ède", "ignac", "ols", "ès", "euil"),
}
SAINTS: tuple[str, ...] = (
    "Saint-Martin", "Saint-Jean", "Saint-Pierre", "Saint-Laurent", "Saint-Georges",
    "Saint-Julien", "Saint-Étienne", "Sainte-Marie", "Saint-Germain", "Saint-Michel",
    "Saint-Paul", "Saint-Denis", "Sainte-Colombe", "Saint-Hilaire", "Saint-Vincent",
    "Saint-Sauveur", "Saint-Maurice", "Saint-Amand", "Saint-Cyr", "Saint-Rémy",
)  # fmt: skip
NAME_COMPLEMENTS: tuple[str, ...] = (
    "-sur-Loire", "-sur-Mer", "-en-Bresse", "-le-Vieux", "-les-Bains", "-de-Bellevue",
    "-sur-Saône", "-la-Forêt", "-le-Haut", "-le-Bas", "-en-Vallée", "-du-Bois", "-sur-Lot",
    "-des-Champs", "-la-Montagne", "-sur-Isère", "-d'Aunis", "-de-Rivière", "-la-Rivière",
)  # fmt: skip
ARTICLES: tuple[str, ...] = ("Le ", "La ", "Les ", "")

REGION_FLAVOUR = {
    "32": "north", "28": "north", "11": "north", "44": "east", "27": "east", "53": "west",
    "52": "west", "75": "south", "76": "south", "93": "south", "94": "south", "84": "east",
    "24": "west",
}  # fmt: skip
