"""Real anchor communes of the catalogue, in the order a small sample takes them.

REAL DATA: every INSEE code, name, département, postcode and PLM arrondissement below is real.
EPCI SIRENs marked `# fixture` are checked against the real Enedis extract in shared/fixtures;
the others are real to the best of our knowledge (check against the COG before relying on them).
Centres are approximate. Sizes (BAN addresses) are deliberately capped, far below the real
counts, so that the first 12 communes make a ≈ 10k-address demo that runs in seconds.
"""

from __future__ import annotations

from typing import NamedTuple


class Anchor(NamedTuple):
    insee: str
    name: str
    epci: str
    postcode: str
    lon: float
    lat: float
    addresses: int  # capped size of the sample commune
    density: float  # 0 village .. 1 dense city core: drives the share of collective buildings
    altitude: int = 0  # index in ALTITUDE_CLASSES
    city: str = ""  # Paris, Lyon, Marseille: the whole-city code Enedis writes


# Whole-city codes and names Enedis uses for Paris, Lyon and Marseille.
PLM_CITIES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
_EPCI_PLM = {"75056": "200054781", "69123": "200046977", "13055": "200054807"}
_PLM_PREFIX = {"75056": ("751", "750"), "69123": ("6938", "690"), "13055": ("132", "130")}

# Approximate centres of the arrondissements (lon, lat).
_ARRONDISSEMENTS = {
    "75056": (
        (2.3364, 48.8625), (2.3428, 48.8683), (2.3600, 48.8630), (2.3576, 48.8543),
        (2.3500, 48.8445), (2.3327, 48.8491), (2.3122, 48.8562), (2.3125, 48.8727),
        (2.3375, 48.8771), (2.3608, 48.8761), (2.3800, 48.8590), (2.3880, 48.8400),
        (2.3623, 48.8283), (2.3266, 48.8292), (2.2930, 48.8401), (2.2750, 48.8570),
        (2.3067, 48.8873), (2.3484, 48.8925), (2.3848, 48.8871), (2.4010, 48.8634),
    ),
    "69123": (
        (4.8344, 45.7676), (4.8270, 45.7500), (4.8507, 45.7597), (4.8277, 45.7794),
        (4.8120, 45.7597), (4.8520, 45.7700), (4.8420, 45.7460), (4.8690, 45.7340),
        (4.8060, 45.7740),
    ),
    "13055": (
        (5.3830, 43.3000), (5.3650, 43.3100), (5.3820, 43.3120), (5.4000, 43.3060),
        (5.3980, 43.2930), (5.3800, 43.2870), (5.3600, 43.2830), (5.3800, 43.2450),
        (5.4400, 43.2350), (5.4250, 43.2750), (5.4800, 43.2900), (5.4400, 43.3050),
        (5.4300, 43.3500), (5.3900, 43.3450), (5.3600, 43.3600), (5.3150, 43.3600),
    ),
}  # fmt: skip


def arrondissement(city: str, number: int, addresses: int = 1100) -> Anchor:
    """Arrondissement `number` of a PLM city: its own INSEE code and postcode, as in the BAN."""
    insee_prefix, post_prefix = _PLM_PREFIX[city]
    width = 5 - len(insee_prefix)
    insee = f"{insee_prefix}{number:0{width}d}"
    postcode = f"{post_prefix}{number:02d}"
    ordinal = "1er" if number == 1 else f"{number}e"
    lon, lat = _ARRONDISSEMENTS[city][number - 1]
    name = f"{PLM_CITIES[city]} {ordinal} Arrondissement"
    return Anchor(insee, name, _EPCI_PLM[city], postcode, lon, lat, addresses, 1.0, 0, city)


# Communes déléguées of communes nouvelles (code_insee_ancienne_commune in the BAN).
DELEGUEES = {
    "74010": (
        ("74010", "Annecy"), ("74011", "Annecy-le-Vieux"), ("74268", "Seynod"),
        ("74093", "Cran-Gevrier"), ("74182", "Meythet"), ("74217", "Pringy"),
    ),
}  # fmt: skip

# The first 12 make the demo: a PLM city (Lyon, with Paris), Corsica (2A, 2B), overseas (974),
# a mountain town (Mende), a commune nouvelle (Annecy) and ordinary towns, in 10 départements.
FIRST: tuple[Anchor, ...] = (
    arrondissement("69123", 3, 1100),
    Anchor("06029", "Cannes", "200039915", "06400", 7.0174, 43.5528, 1100, 0.75),  # fixture
    Anchor("2A004", "Ajaccio", "242010056", "20000", 8.7386, 41.9192, 700, 0.6),
    Anchor("97411", "Saint-Denis", "249740119", "97400", 55.4504, -20.8823, 800, 0.6),
    arrondissement("69123", 7, 1000),
    Anchor(
        "48095", "Mende", "200069193", "48000", 3.5006, 44.5181, 450, 0.35, 1
    ),  # EPCI unverified
    Anchor("74010", "Annecy", "200066793", "74000", 6.1294, 45.8992, 1200, 0.65, 1),
    Anchor("2B033", "Bastia", "242020071", "20200", 9.4500, 42.6970, 550, 0.6),
    arrondissement("69123", 1, 700),
    Anchor("73065", "Chambéry", "200069110", "73000", 5.9178, 45.5646, 800, 0.6),  # EPCI unverified
    arrondissement("75056", 11, 1100),
    Anchor("44109", "Nantes", "244400404", "44000", -1.5536, 47.2184, 1000, 0.7),
)

OTHERS: tuple[Anchor, ...] = (
    Anchor("06088", "Nice", "200030195", "06000", 7.2620, 43.7102, 1400, 0.8),  # fixture
    Anchor("06032", "Cap-d'Ail", "200030195", "06320", 7.4045, 43.7216, 350, 0.4),  # fixture
    Anchor("31555", "Toulouse", "243100518", "31000", 1.4442, 43.6047, 1500, 0.8),
    Anchor("33063", "Bordeaux", "243300316", "33000", -0.5792, 44.8378, 1400, 0.8),
    Anchor("67482", "Strasbourg", "246700488", "67000", 7.7521, 48.5734, 1400, 0.8),
    Anchor("59350", "Lille", "200093201", "59000", 3.0573, 50.6292, 1300, 0.8),  # fixture
    Anchor("59128", "Capinghem", "200093201", "59160", 2.9630, 50.6432, 200, 0.15),  # fixture
    Anchor("34172", "Montpellier", "243400017", "34000", 3.8767, 43.6108, 1300, 0.75),
    Anchor("35238", "Rennes", "243500139", "35000", -1.6778, 48.1173, 1200, 0.75),
    Anchor("38185", "Grenoble", "200040715", "38000", 5.7245, 45.1885, 1100, 0.8),
    Anchor("76540", "Rouen", "200023414", "76000", 1.0993, 49.4431, 1000, 0.7),  # fixture
    Anchor("76157", "Canteleu", "200023414", "76380", 1.0256, 49.4408, 500, 0.45),  # fixture
    Anchor("76159", "Cany-Barville", "200069839", "76450", 0.6378, 49.7886, 300, 0.2),  # fixture
    Anchor("40065", "Capbreton", "244000865", "40130", -1.4283, 43.6425, 600, 0.35),  # fixture
    Anchor("13001", "Aix-en-Provence", "200054807", "13100", 5.4474, 43.5297, 1300, 0.6),
    Anchor(
        "16015", "Angoulême", "200071827", "16000", 0.1560, 45.6484, 800, 0.55
    ),  # EPCI unverified
    Anchor(
        "73008", "Aix-les-Bains", "200068674", "73100", 5.9153, 45.6885, 800, 0.55
    ),  # EPCI unverified
    Anchor(
        "74056", "Chamonix-Mont-Blanc", "247400690", "74400", 6.8694, 45.9237, 600, 0.4, 2
    ),  # EPCI unverified
    Anchor(
        "74281", "Thonon-les-Bains", "200067551", "74200", 6.4793, 46.3705, 800, 0.55
    ),  # EPCI unverified
    Anchor("97209", "Fort-de-France", "249720061", "97200", -61.0588, 14.6161, 800, 0.6),
    Anchor("97302", "Cayenne", "249730045", "97300", -52.3260, 4.9372, 700, 0.55),
    Anchor("97120", "Pointe-à-Pitre", "200018653", "97110", -61.5331, 16.2411, 400, 0.6),
    Anchor("21231", "Dijon", "242100410", "21000", 5.0415, 47.3220, 1100, 0.7),
    Anchor("37261", "Tours", "243700754", "37000", 0.6848, 47.3941, 1100, 0.7),
    Anchor("63113", "Clermont-Ferrand", "246300701", "63000", 3.0870, 45.7772, 1100, 0.7, 1),
    Anchor("87085", "Limoges", "248719312", "87000", 1.2611, 45.8336, 1000, 0.65),
    Anchor("51454", "Reims", "200067213", "51100", 4.0317, 49.2583, 1100, 0.7),
    Anchor("42218", "Saint-Étienne", "244200770", "42000", 4.3872, 45.4397, 1100, 0.7, 1),
    Anchor("83137", "Toulon", "248300543", "83000", 5.9280, 43.1242, 1100, 0.75),
    Anchor("49007", "Angers", "244900015", "49000", -0.5632, 47.4784, 1000, 0.65),
    Anchor("29019", "Brest", "242900314", "29200", -4.4861, 48.3904, 1000, 0.65),
    Anchor("54395", "Nancy", "245400676", "54000", 6.1844, 48.6921, 1000, 0.75),
)

_FIRST_ARRONDISSEMENTS = {(a.city, a.insee) for a in FIRST if a.city}


def _remaining_arrondissements() -> tuple[Anchor, ...]:
    counts = {"69123": 9, "75056": 20, "13055": 16}
    out = []
    for city, count in counts.items():
        for number in range(1, count + 1):
            anchor = arrondissement(city, number)
            if (city, anchor.insee) not in _FIRST_ARRONDISSEMENTS:
                out.append(anchor)
    return tuple(out)


ANCHORS: tuple[Anchor, ...] = FIRST + _remaining_arrondissements() + OTHERS
