"""The départements the sample spans: région, rough centre, climate zone, altitude mix, CRS.

Régions, climate zones (RT 2012 / DPE 3CL) and official projections are the real ones; centres and
commune counts are approximate (they only place synthetic communes and size the national sample).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Official BAN projection overseas (x/y columns); metropolitan France is Lambert-93.
LAMBERT_93 = 2154
OVERSEAS_CRS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}

ALTITUDE_CLASSES = ("inférieur à 400m", "400-800m", "supérieur à 800m")
# The 3CL label scale changes above 800 m only in these climate zones.
HIGH_ALTITUDE_ZONES = frozenset({"H1b", "H1c", "H2d"})

# code région lon lat zone communes spread alt_400_800 alt_over_800
_TABLE = """
01 84 5.35 46.10 H1c 393 .30 .15 .10
02 32 3.56 49.56 H1a 799 .35 0 0
03 84 3.19 46.39 H1c 317 .35 .20 .02
04 93 6.24 44.10 H2d 198 .35 .40 .35
05 93 6.26 44.66 H1c 162 .30 .20 .70
06 93 7.12 43.94 H3 163 .25 .15 .15
07 84 4.43 44.75 H2d 335 .30 .30 .20
08 44 4.64 49.61 H1b 449 .30 .05 0
09 76 1.50 42.92 H2c 327 .30 .30 .20
10 44 4.16 48.30 H1b 431 .30 0 0
11 76 2.41 43.10 H3 433 .35 .15 .05
12 76 2.68 44.28 H2c 285 .40 .50 .20
13 93 5.09 43.54 H3 119 .25 .02 0
14 28 -0.36 49.09 H1a 528 .35 0 0
15 84 2.67 45.05 H1c 246 .30 .40 .50
16 75 0.20 45.72 H2b 364 .30 0 0
17 75 -0.67 45.78 H2b 463 .35 0 0
18 24 2.49 47.06 H2b 287 .35 0 0
19 75 1.88 45.36 H1c 279 .30 .50 .15
2A 94 8.99 41.86 H3 124 .25 .20 .10
2B 94 9.21 42.39 H3 236 .25 .20 .10
21 27 4.77 47.42 H1c 698 .40 .20 0
22 53 -2.86 48.44 H2a 348 .35 0 0
23 75 2.02 46.09 H1c 256 .30 .60 .05
24 75 0.74 45.10 H2c 503 .35 .05 0
25 27 6.36 47.17 H1c 571 .30 .40 .20
26 84 5.17 44.68 H2d 363 .30 .20 .10
27 28 0.99 49.11 H1a 585 .35 0 0
28 24 1.37 48.39 H1a 365 .30 0 0
29 53 -4.06 48.26 H2a 277 .40 0 0
30 76 4.18 43.99 H3 351 .35 .10 .05
31 76 1.17 43.36 H2c 586 .40 .05 .05
32 76 0.45 43.69 H2c 461 .35 0 0
33 75 -0.58 44.83 H2c 535 .40 0 0
34 76 3.37 43.58 H3 342 .35 .05 .02
35 53 -1.64 48.15 H2a 333 .30 0 0
36 24 1.58 46.78 H2b 241 .35 0 0
37 24 0.69 47.26 H2b 272 .30 0 0
38 84 5.58 45.26 H1c 512 .35 .25 .15
39 27 5.70 46.73 H1c 494 .30 .30 .20
40 75 -0.78 43.96 H2c 327 .40 0 0
41 24 1.43 47.62 H2b 267 .35 0 0
42 84 4.17 45.73 H1c 323 .30 .40 .15
43 84 3.81 45.13 H1c 257 .30 .30 .60
44 52 -1.68 47.36 H2b 207 .35 0 0
45 24 2.34 47.91 H1b 325 .35 0 0
46 76 1.61 44.62 H2c 313 .30 .10 0
47 75 0.46 44.37 H2c 319 .35 0 0
48 76 3.50 44.52 H2d 152 .30 .30 .60
49 52 -0.56 47.39 H2b 177 .35 0 0
50 28 -1.33 49.08 H2a 446 .40 0 0
51 44 4.24 48.95 H1b 613 .40 0 0
52 44 5.23 48.11 H1b 426 .35 .10 0
53 52 -0.66 48.15 H2b 240 .30 0 0
54 44 6.16 48.79 H1b 591 .35 .02 0
55 44 5.38 49.01 H1b 499 .35 .02 0
56 53 -2.81 47.85 H2a 249 .35 0 0
57 44 6.66 49.04 H1b 725 .35 .05 0
58 27 3.50 47.12 H1b 309 .35 .10 0
59 32 3.22 50.45 H1a 648 .35 0 0
60 32 2.43 49.41 H1a 679 .35 0 0
61 28 0.13 48.62 H1a 385 .35 0 0
62 32 2.29 50.49 H1a 890 .40 0 0
63 84 3.14 45.73 H1c 464 .35 .35 .30
64 75 -0.76 43.26 H2c 546 .40 .10 .05
65 76 0.16 43.05 H2c 469 .25 .20 .15
66 76 2.52 42.60 H3 226 .30 .15 .15
67 44 7.55 48.67 H1b 514 .30 .05 .02
68 44 7.27 47.86 H1b 366 .25 .10 .05
69 84 4.64 45.87 H1c 320 .25 .20 .05
70 27 6.09 47.64 H1b 539 .30 .10 .02
71 27 4.54 46.64 H1c 565 .40 .10 0
72 52 0.22 47.99 H2b 354 .35 0 0
73 84 6.44 45.48 H1c 273 .35 .30 .40
74 84 6.43 46.03 H1c 279 .30 .45 .25
75 11 2.35 48.86 H1a 1 .04 0 0
76 28 1.03 49.66 H1a 708 .40 0 0
77 11 2.93 48.63 H1a 507 .40 0 0
78 11 1.84 48.81 H1a 259 .30 0 0
79 75 -0.32 46.56 H2b 256 .35 0 0
80 32 2.28 49.96 H1a 772 .40 0 0
81 76 2.17 43.79 H2c 314 .35 .15 .02
82 76 1.28 44.09 H2c 195 .30 0 0
83 93 6.22 43.46 H3 153 .35 .10 .02
84 93 5.19 44.01 H2d 151 .25 .05 .02
85 52 -1.30 46.68 H2b 255 .35 0 0
86 75 0.46 46.56 H2b 266 .35 0 0
87 75 1.24 45.89 H1c 195 .30 .20 0
88 44 6.38 48.19 H1b 507 .35 .40 .10
89 27 3.56 47.84 H1b 423 .35 0 0
90 27 6.93 47.63 H1b 101 .10 .20 .05
91 11 2.24 48.52 H1a 194 .15 0 0
92 11 2.24 48.85 H1a 36 .05 0 0
93 11 2.48 48.92 H1a 40 .05 0 0
94 11 2.47 48.78 H1a 47 .05 0 0
95 11 2.13 49.08 H1a 184 .15 0 0
971 01 -61.55 16.18 - 32 .20 .15 .05
972 02 -61.02 14.65 - 34 .10 .15 .05
973 03 -52.60 4.85 - 22 .30 0 0
974 04 55.53 -21.13 - 24 .15 .20 .15
976 06 45.14 -12.82 - 17 .06 0 0
"""


@dataclass(frozen=True)
class Departement:
    code: str
    region: str
    lon: float
    lat: float
    zone: str  # zone climatique; "" overseas, where the 3CL zones do not apply
    communes: int  # order of magnitude of the real count, sizes the national sample
    spread: float  # degrees around the centre where synthetic communes fall
    altitude_shares: tuple[float, float, float]  # < 400 m, 400–800 m, > 800 m
    crs: int  # EPSG code of the BAN x/y columns

    @property
    def digits(self) -> str:
        """Two digits standing for the département in numbers (DPE numbers, EPCI codes)."""
        return "20" if self.code in ("2A", "2B") else self.code[:2]


@cache
def departements() -> dict[str, Departement]:
    out: dict[str, Departement] = {}
    for line in _TABLE.strip().splitlines():
        code, region, lon, lat, zone, communes, spread, mid, high = line.split()
        mid_share, high_share = float(mid), float(high)
        out[code] = Departement(
            code=code,
            region=region,
            lon=float(lon),
            lat=float(lat),
            zone="" if zone == "-" else zone,
            communes=int(communes),
            spread=float(spread),
            altitude_shares=(1.0 - mid_share - high_share, mid_share, high_share),
            crs=OVERSEAS_CRS.get(code, LAMBERT_93),
        )
    return out


def departement(code: str) -> Departement:
    return departements()[code]
