#!/usr/bin/env python3
"""Generate Galaxy's initial solar-system state and its DE421 test fixture.

What it writes (paths relative to the repository root):
  data/solar_system.json
      Sun, 8 planets and 20 moons at 2026-01-01T00:00:00 TDB (JD 2461041.5),
      ICRF axes, origin at the solar-system barycenter, SI units.
  Sources/GalaxyServer/Simulation/SolarSystemData.swift
      The same JSON text, byte for byte, as a Swift raw string literal.
  Tests/GalaxyServerTests/Fixtures/de421_reference.json
      DE421 barycentric states at epoch + 30 d and epoch + 365 d, for
      checking the server's integrator against the ephemeris.

How the state is built:
  * Sun, Mercury, Venus, Earth and Moon come straight from DE421.
  * For Mars, Jupiter, Saturn, Uranus and Neptune DE421 gives only the
    system barycenter. Each moon is placed about its planet with a
    two-body state (mu = GM_planet + GM_moon) from JPL's mean orbital
    elements, propagated from the table epoch to our epoch. The planet is
    then placed so that the GM-weighted mean of planet and moons equals
    the DE421 barycenter, and GM_planet = GM_system(DE421) - sum GM_moons.

Sources (each is also listed, with its id, in the JSON "sources" array):
  * DE421: Folkner, Williams & Boggs (2009), IPN Progress Report 42-178.
    Read with jplephem 2.24 from the PyPI package "de421" (2008.1). That
    package ships DE421's Chebyshev coefficients and header constants as
    .npy files, not as de421.bsp; jplephem's legacy Ephemeris class reads
    them. The header supplies AU, EMRAT, GMS and GM1..GM9, GMB.
  * JPL SSD "Planetary Satellite Mean Orbital Parameters", the edition
    formerly at https://ssd.jpl.nasa.gov/?sat_elem (rows listed below).
  * JPL gm_Horizons.pck (https://ssd.jpl.nasa.gov/ftp/xfr/gm_Horizons.pck,
    revision of 2025-Jan-29) for satellite GMs.
  * JPL SSD "Planetary Satellite Physical Parameters"
    (https://ssd.jpl.nasa.gov/sats/phys_par/) for satellite mean radii.
  * Archinal et al. (2018), "Report of the IAU Working Group on Cartographic
    Coordinates and Rotational Elements: 2015", Celest. Mech. Dyn. Astr.
    130:22, for mean radii of the Sun, planets, Moon, Uranian moons and
    Triton, Uranus's pole, Neptune's pole precession rate and the
    Mimas-Tethys libration terms.
  * Laskar & Jacobson (1987), "GUST86", Astron. Astrophys. 188:212, whose
    mean motions and secular rates underlie JPL's Uranian rows.

How to rerun:
  pip install -r scripts/requirements.txt
  python3 scripts/make_solar_system.py            # write files, print checks
  python3 scripts/make_solar_system.py --check    # print checks, write nothing
The script exits with status 1 when a check fails. Output is deterministic.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

import de421
from jplephem.ephem import Ephemeris

# --------------------------------------------------------------------------
# Epoch and unit conversions

EPOCH_ISO_TDB = "2026-01-01T00:00:00"
EPOCH_JD_TDB = 2461041.5
FIXTURE_OFFSETS_DAYS = (30.0, 365.0)

SECONDS_PER_DAY = 86400.0
DAYS_PER_JULIAN_YEAR = 365.25
DAYS_PER_JULIAN_CENTURY = 36525.0
GAUSSIAN_GRAVITATIONAL_CONSTANT = 0.01720209895  # k, AU^1.5 / day

BODY_ORDER = [
    "Sun", "Mercury", "Venus", "Earth", "Moon",
    "Mars", "Phobos", "Deimos",
    "Jupiter", "Io", "Europa", "Ganymede", "Callisto",
    "Saturn", "Mimas", "Enceladus", "Tethys", "Dione", "Rhea", "Titan",
    "Iapetus",
    "Uranus", "Miranda", "Ariel", "Umbriel", "Titania", "Oberon",
    "Neptune", "Triton",
]

# --------------------------------------------------------------------------
# Mean radii (km)

# IAU WGCCRE 2015 (Archinal et al. 2018) mean radii.
IAU_MEAN_RADIUS_KM = {
    "Sun": 695700.0,
    "Mercury": 2439.4,
    "Venus": 6051.8,
    "Earth": 6371.0084,
    "Moon": 1737.4,
    "Mars": 3389.50,
    "Jupiter": 69911.0,
    "Saturn": 58232.0,
    "Uranus": 25362.0,
    "Neptune": 24622.0,
    "Miranda": 235.8,
    "Ariel": 578.9,
    "Umbriel": 584.7,
    "Titania": 788.9,
    "Oberon": 761.4,
    "Triton": 1352.6,
}

# JPL "Planetary Satellite Physical Parameters" page, mean radius column.
JPL_SATELLITE_MEAN_RADIUS_KM = {
    "Phobos": 11.08,
    "Deimos": 6.2,
    "Io": 1821.49,
    "Europa": 1560.80,
    "Ganymede": 2631.20,
    "Callisto": 2410.30,
    "Mimas": 198.20,
    "Enceladus": 252.10,
    "Tethys": 531.10,
    "Dione": 561.40,
    "Rhea": 763.50,
    "Titan": 2574.76,
    "Iapetus": 734.30,
}

# --------------------------------------------------------------------------
# Satellite GMs (km^3/s^2), JPL gm_Horizons.pck, keys BODY401_GM ... BODY801_GM.

SATELLITE_GM_KM3_S2 = {
    "Phobos": 7.087546066894452e-04,
    "Deimos": 9.615569648120313e-05,
    "Io": 5.959915466180539e+03,
    "Europa": 3.202712099607295e+03,
    "Ganymede": 9.887832752719638e+03,
    "Callisto": 7.179283402579837e+03,
    "Mimas": 2.503488768152587e+00,
    "Enceladus": 7.210366688598896e+00,
    "Tethys": 4.121352885489587e+01,
    "Dione": 7.311607172482067e+01,
    "Rhea": 1.539417519146563e+02,
    "Titan": 8.978137095521046e+03,
    "Iapetus": 1.205151060137642e+02,
    "Ariel": 8.343074677282458e+01,
    "Umbriel": 8.540300422326412e+01,
    "Titania": 2.228006351879754e+02,
    "Oberon": 2.142098399407347e+02,
    "Miranda": 4.105527241181560e+00,
    "Triton": 1.428495462910464e+03,
}

# --------------------------------------------------------------------------
# Mean elements (JPL table, former ssd.jpl.nasa.gov/?sat_elem).
#
# Columns as in the table: a (km), e, w = argument of periapsis (deg),
# M = mean anomaly (deg), i (deg), node (deg), n (deg/day).
# "node" is measured in the reference plane from that plane's ascending
# node on the ICRF equator. The table's n is the rate of the mean
# longitude node + w + M, so propagation advances that sum by n and takes
# M = longitude - node(t) - w(t). Pw and Pnode are the precession periods
# of w and node in Julian years (the table lists them unsigned).
#
# Each group names its reference plane by the ICRF right ascension and
# declination of the plane's pole. JPL gives a local Laplace-plane pole
# per moon for Mars, Jupiter, Saturn and Triton; those are used as given.

PLANET_SYSTEMS = [
    # (planet, DE421 series name, DE421 header GM key)
    ("Mars", "mars", "GM4"),
    ("Jupiter", "jupiter", "GM5"),
    ("Saturn", "saturn", "GM6"),
    ("Uranus", "uranus", "GM7"),
    ("Neptune", "neptune", "GM8"),
]

# Mars: "Mean orbital elements referred to the local Laplace planes",
# epoch 1950 Jan. 1.00 TT, solution MAR080. Read from the stored copy of
# the page. Both moons are oblateness-dominated, so node regresses and
# w advances (Pw is half of Pnode, as a J2 field predicts).
# NOTE: Phobos's tidal acceleration is not modelled. At J2000 this row is
# 1.08 deg ahead of IMCCE's ephemeris (check_phobos()), and by 2026 the
# along-track error may grow to a few degrees.
MARS_TABLE = {
    "epoch_label": "1950 Jan. 1.00 TT (MAR080)",
    "epoch_jd": 2433282.5,
    "rows": {
        #          a       e       w        M        i      node     n             P       Pw       Pnode    poleRA   poleDec
        "Phobos": (9376.0, 0.0151, 150.057, 91.059, 1.075, 207.784, 1128.8447569, 0.3189, 1.1316, 2.2617, 317.671, 52.893),
        "Deimos": (23458.0, 0.0002, 260.729, 325.329, 1.788, 24.525, 285.1618790, 1.2624, 27.3703, 54.5367, 316.657, 53.529),
    },
    "argp_sense": {"Phobos": +1, "Deimos": +1},
}

# Jupiter: "Mean orbital elements referred to the local Laplace planes",
# epoch 1997 Jan. 16.00 TT. Read from the stored copy of the page.
# Io's and Europa's periapses are forced by the Laplace resonance and
# regress with the resonant argument: d(node + w)/dt = 2 n_Europa - n_Io.
# The tabulated Pw and Pnode reproduce that rate only with w regressing,
# which check_resonant_apsides() verifies. Ganymede and Callisto advance.
JUPITER_TABLE = {
    "epoch_label": "1997 Jan. 16.00 TT",
    "epoch_jd": 2450464.5,
    "rows": {
        "Io":       (421800.0, 0.0041, 84.129, 342.021, 0.036, 43.977, 203.4889583, 1.769, 1.625, 7.420, 268.057, 64.495),
        "Europa":   (671100.0, 0.0094, 88.970, 171.016, 0.466, 219.106, 101.3747242, 3.551, 1.394, 30.184, 268.084, 64.506),
        "Ganymede": (1070400.0, 0.0013, 192.417, 317.540, 0.177, 63.552, 50.3176072, 7.155, 63.549, 132.654, 268.168, 64.543),
        "Callisto": (1882700.0, 0.0074, 52.643, 181.408, 0.192, 298.848, 21.5710728, 16.69, 205.75, 338.82, 268.639, 64.749),
    },
    "argp_sense": {"Io": -1, "Europa": -1, "Ganymede": +1, "Callisto": +1},
}

# Saturn: local Laplace planes, epoch 2004 Jan. 1.0 TT. The stored copy of
# the page stops after Jupiter. These rows (a, e, w, M, i, node, Laplace
# pole) therefore come from the transcription of this table edition in
# Cosmonium's cosmonium/astro/tables/ssd.py. A second independent
# transcription agrees except for Titan's i (0.280 here, 0.312 there).
# Neither transcription has n, Pw or Pnode. n is taken from the J2000.0
# edition of the same table. Its Mimas..Titan rows, propagated by n, land
# within 0.6 deg of these 2004 rows, which confirms both epochs. Iapetus
# differs by 5.6 deg because the two editions use different Laplace planes.
# Pw and Pnode exist only for Tethys (J2000.0 edition) and Iapetus (J2000.0
# edition, also quoted at https://astronomy.stackexchange.com/q/45456).
# NOTE: Mimas, Enceladus, Dione, Rhea and Titan keep their 2004 node and w.
# Their 2026 orbit normals may be off by up to twice their inclination
# (3.1 deg for Mimas), and their periapses may be misplaced.
SATURN_TABLE = {
    "epoch_label": "2004 Jan. 1.0 TT",
    "epoch_jd": 2453005.5,
    "rows": {
        "Mimas":     (185540.0, 0.0196, 14.352, 255.312, 1.572, 153.152, 381.9944948, 0.942, None, None, 40.590, 83.539),
        "Enceladus": (238040.0, 0.0047, 211.923, 197.047, 0.009, 93.204, 262.7318978, 1.370, None, None, 40.587, 83.539),
        "Tethys":    (294670.0, 0.0001, 262.845, 189.003, 1.091, 330.882, 190.6979109, 1.888, 2.490, 4.982, 40.581, 83.539),
        "Dione":     (377420.0, 0.0022, 168.820, 65.990, 0.028, 168.909, 131.5349307, 2.737, None, None, 40.554, 83.542),
        "Rhea":      (527070.0, 0.0010, 256.609, 311.551, 0.331, 311.531, 79.6900459, 4.518, None, None, 40.387, 83.556),
        "Titan":     (1221870.0, 0.0288, 185.671, 15.154, 0.280, 24.502, 22.5769756, 15.95, None, None, 36.470, 83.936),
        "Iapetus":   (3560840.0, 0.0283, 275.921, 356.029, 7.489, 75.831, 4.5379416, 79.33, 1676.69, 3438.73, 288.818, 78.667),
    },
    "argp_sense": {"Tethys": +1, "Iapetus": +1},
}
# The Mimas-Tethys 4:2 resonance makes both mean longitudes librate with a
# 71-year period, which the table's uniform rate leaves out. The IAU 2015
# rotation models of these synchronous moons carry the same libration in W:
# Mimas -44.85 sin S5 and Tethys +2.23 sin S5 (deg), with
# S5 = 316.45 + 506.2 T (deg, T in Julian centuries from J2000). Adding
# those terms to the mean longitude brings Mimas from 30.3 to 1.9 deg and
# Tethys from 1.4 to 0.2 deg of IMCCE's NOE positions at J2000
# (check_saturn_librations()). In 2026 the Mimas term is -44.8 deg.
SATURN_S5_DEG = 316.45
SATURN_S5_RATE_DEG_PER_CENTURY = 506.2
SATURN_LIBRATION_AMPLITUDE_DEG = {"Mimas": -44.85, "Tethys": 2.23}

# Uranus: a, e, w, M, i, node and n from the same table edition, read from
# transcriptions (Cosmonium's ssd.py and two others that agree). Those
# copies carry no epoch or plane, so both were derived from GUST86:
#   * n equals GUST86's mean-longitude rate to all 7 printed decimals, and
#     at JD 2444239.5 (1980 Jan. 1.0, GUST86's origin) the table's node+w+M
#     minus GUST86's mean longitude is -0.281 deg for all five moons, while
#     at J2000.0 it scatters over 360 deg. check_uranus_table() repeats this.
#   * The offset is constant and small only if the plane is Uranus's
#     equator with its pole along the spin angular momentum. That pole is
#     the IAU north pole (257.311, -15.175) reversed, because the IAU names
#     the pole on the north side of the invariable plane "north" and Uranus
#     spins retrograde.
# Pw and Pnode are not in the transcriptions, so the secular rates come
# from GUST86: pericenter longitude rate FQE and node rate FQI, deg/year.
URANUS_POLE_IAU_RA_DEG = 257.311
URANUS_POLE_IAU_DEC_DEG = -15.175
URANUS_TABLE = {
    "epoch_label": "1980 Jan. 1.0 TT (GUST86 origin)",
    "epoch_jd": 2444239.5,
    "rows": {
        "Miranda": (129900.0, 0.0013, 68.312, 311.330, 4.338, 326.438, 254.6906576, 1.413, None, None, None, None),
        "Ariel":   (190900.0, 0.0012, 115.349, 39.481, 0.041, 22.394, 142.8356579, 2.520, None, None, None, None),
        "Umbriel": (266000.0, 0.0039, 84.709, 12.469, 0.128, 33.485, 86.8688879, 4.144, None, None, None, None),
        "Titania": (436300.0, 0.0011, 284.400, 24.614, 0.079, 99.771, 41.3514246, 8.706, None, None, None, None),
        "Oberon":  (583500.0, 0.0014, 104.400, 283.088, 0.068, 279.771, 26.7394888, 13.46, None, None, None, None),
    },
}
# GUST86 (Laskar & Jacobson 1987) constants, order Miranda, Ariel, Umbriel,
# Titania, Oberon: FQN mean motion (rad/day), PHN mean longitude at
# JD 2444239.5 (rad), FQE pericenter and FQI node rates (deg/year).
GUST86_ORDER = ["Miranda", "Ariel", "Umbriel", "Titania", "Oberon"]
GUST86_FQN = [4445190.550e-06, 2492952.519e-06, 1516148.111e-06, 721718.509e-06, 466692.120e-06]
GUST86_PHN = [-238051.0e-06, 3098046.0e-06, 2285402.0e-06, 856359.0e-06, -915592.0e-06]
GUST86_FQE = [20.082, 6.217, 2.865, 2.078, 0.386]
GUST86_FQI = [-20.309, -6.288, -2.836, -1.843, -0.259]

# Neptune: Triton, local Laplace plane, epoch 1989 Aug. 25.0 TT, row from
# the same Cosmonium transcription (a second transcription has node+w+M
# larger by 0.059 deg). The transcription has no n, so n is the J2000.0
# edition's 61.2572638 deg/day, which matches Triton's IAU spin rate
# -61.2572637 deg/day (synchronous, retrograde). e = 0, so w needs no
# propagation. Triton's node circulates about the Laplace pole with the
# same period as Neptune's pole, whose IAU 2015 model is
#   RA = 299.36 + 0.70 sin N, Dec = 43.46 - 0.51 cos N,
#   N = 357.85 + 52.316 T (deg, T in Julian centuries from J2000).
# triton_node_rate_deg_per_day() takes the rate from 52.316 deg/century and
# the sign from the sense in which that model moves Neptune's pole.
NEPTUNE_TABLE = {
    "epoch_label": "1989 Aug. 25.0 TT",
    "epoch_jd": 2447763.5,
    "rows": {
        "Triton": (354800.0, 0.0000, 344.046, 264.775, 156.834, 172.431, 61.2572638, 5.877, None, None, 299.452, 43.395),
    },
}
NEPTUNE_POLE_RA0_DEG = 299.36
NEPTUNE_POLE_DEC0_DEG = 43.46
NEPTUNE_POLE_RA_AMPLITUDE_DEG = 0.70
NEPTUNE_POLE_DEC_AMPLITUDE_DEG = 0.51
NEPTUNE_N_RATE_DEG_PER_CENTURY = 52.316

MOON_TABLES = {
    "Mars": MARS_TABLE,
    "Jupiter": JUPITER_TABLE,
    "Saturn": SATURN_TABLE,
    "Uranus": URANUS_TABLE,
    "Neptune": NEPTUNE_TABLE,
}

# Moons whose orbital angular momentum points against their planet's spin.
EXPECTED_RETROGRADE = {"Triton"}

# Horizons vector for Iapetus relative to Saturn (sat427l), AU, ecliptic of
# J2000, at JD 2454886.9461875 TDB, quoted in
# https://astronomy.stackexchange.com/q/45456. check_laplace_frame() uses it
# to test the Laplace-plane conversion on the Saturn row for Iapetus, the
# moon whose plane is tilted most (15 deg) from its planet's equator.
IAPETUS_HORIZONS_JD = 2454886.9461875
IAPETUS_HORIZONS_AU = (-3.667428122525245e-03, -2.292450955142063e-02, 6.128563674523897e-03)
OBLIQUITY_J2000_DEG = 84381.448 / 3600.0

# IMCCE example positions at JD 2451545.0 relative to the planet, in the
# Earth mean equator and equinox of J2000. Saturn's moons (NOE, km) are from
# https://ftp.imcce.fr/pub/ephem/satel/NOE/SATURNE/2011/README, whose stored
# copy stops after Tethys's y. Phobos (Lainey 2007, AU) is from
# https://ftp.imcce.fr/pub/ephem/satel/martian/. Each Saturn entry carries
# the pass limit in degrees.
IMCCE_NOE_SATURN_J2000_KM = {
    "Mimas": ((141171.060826090, -116684.161401439, -2077.57557703349), 3.0),
    "Enceladus": ((161899.814952099, -173370.950278539, -1184.98930718905), 1.5),
    "Tethys": ((217264.459228450, -199307.19), 1.0),
}
IMCCE_PHOBOS_J2000_AU = (-0.000013308157, -0.000058444725, -0.000021266023)

# --------------------------------------------------------------------------
# Source list written into the JSON.

SOURCES = [
    {"id": "de421",
     "text": "JPL planetary and lunar ephemeris DE421 (W. M. Folkner, J. G. Williams, "
             "D. H. Boggs, 2009, IPN Progress Report 42-178). States of the Sun, Mercury, "
             "Venus, Earth-Moon barycenter, geocentric Moon and the Mars..Neptune system "
             "barycenters, read with jplephem 2.24 (legacy Ephemeris class) from the PyPI "
             "package de421 2008.1, which ships DE421's Chebyshev coefficients as .npy "
             "arrays in place of de421.bsp."},
    {"id": "de421_constants",
     "text": "DE421 header constants shipped in the same de421 package (constants.npy): "
             "AU = 149597870.6996262 km, EMRAT = 81.3005690699153, GMS = k^2 AU^3/day^2 with "
             "k = 0.01720209895, GM1, GM2, GMB, GM4..GM8 in AU^3/day^2. Converted with the "
             "ephemeris AU and 86400 s/day. Earth and Moon GM split GMB by EMRAT."},
    {"id": "iau_wgccre_2015",
     "text": "B. A. Archinal et al. (2018), Report of the IAU Working Group on Cartographic "
             "Coordinates and Rotational Elements: 2015, Celest. Mech. Dyn. Astr. 130:22. "
             "Mean radii of the Sun, planets, Moon, Miranda, Ariel, Umbriel, Titania, Oberon "
             "and Triton; Uranus pole (257.311, -15.175); Neptune pole precession "
             "N = 357.85 + 52.316 T; Mimas and Tethys libration terms -44.85 sin S5 and "
             "+2.23 sin S5 of their rotation models, S5 = 316.45 + 506.2 T."},
    {"id": "jpl_sat_elem",
     "text": "JPL Solar System Dynamics, Planetary Satellite Mean Orbital Parameters, edition "
             "formerly at https://ssd.jpl.nasa.gov/?sat_elem. Mars rows (MAR080, epoch 1950 "
             "Jan 1.00 TT) and Jupiter rows (epoch 1997 Jan 16.00 TT) with local Laplace "
             "poles, read from a stored copy of that page."},
    {"id": "jpl_sat_elem_transcribed",
     "text": "Saturn (epoch 2004 Jan 1.0 TT, local Laplace planes), Uranus (epoch 1980 Jan "
             "1.0 TT, Uranus equator) and Triton (epoch 1989 Aug 25.0 TT, local Laplace "
             "plane) rows of the same JPL table, read from transcriptions in public code "
             "(Cosmonium, cosmonium/astro/tables/ssd.py, cross-checked against a second "
             "transcription) because the stored page copy stops after Jupiter. Mean "
             "longitude rates, and the Tethys and Iapetus precession periods, from the "
             "J2000.0 edition of the table (transcriptions; the Iapetus row is also quoted "
             "at https://astronomy.stackexchange.com/q/45456). The Uranian epoch and plane "
             "were inferred by matching GUST86 (see gust86)."},
    {"id": "gust86",
     "text": "J. Laskar, R. A. Jacobson (1987), GUST86: an analytical ephemeris of the "
             "Uranian satellites, Astron. Astrophys. 188:212. Mean motions and mean "
             "longitudes at JD 2444239.5 used to confirm the Uranian table epoch and plane; "
             "pericenter and node rates used to propagate the Uranian moons."},
    {"id": "jpl_gm_horizons",
     "text": "JPL gm_Horizons.pck (https://ssd.jpl.nasa.gov/ftp/xfr/gm_Horizons.pck, revision "
             "2025-Jan-29), satellite GMs BODY401..BODY801 from the satellite-system "
             "solutions MAR097, JUP365, SAT441, URA182/183 and NEP097/NEP100."},
    {"id": "jpl_sat_phys_par",
     "text": "JPL Solar System Dynamics, Planetary Satellite Physical Parameters "
             "(https://ssd.jpl.nasa.gov/sats/phys_par/), mean radii of Phobos, Deimos, the "
             "Galilean moons and Mimas..Iapetus."},
]


# --------------------------------------------------------------------------
# Vector helpers

def unit_vector_from_ra_dec(ra_deg, dec_deg):
    ra = math.radians(ra_deg)
    dec = math.radians(dec_deg)
    return np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])


def plane_to_icrf_matrix(pole_ra_deg, pole_dec_deg):
    """Return the matrix whose columns are the reference plane's x, y, z axes in ICRF.

    x points to the plane's ascending node on the ICRF equator (RA = pole RA
    + 90 deg), z along the given pole, y = z cross x.
    """
    z_axis = unit_vector_from_ra_dec(pole_ra_deg, pole_dec_deg)
    ra = math.radians(pole_ra_deg)
    x_axis = np.array([-math.sin(ra), math.cos(ra), 0.0])
    y_axis = np.cross(z_axis, x_axis)
    return np.column_stack([x_axis, y_axis, z_axis])


def rotation_z(angle_rad):
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_x(angle_rad):
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def solve_kepler(mean_anomaly_rad, eccentricity):
    """Return the eccentric anomaly for an elliptic orbit (Newton iteration)."""
    m = math.remainder(mean_anomaly_rad, 2.0 * math.pi)
    e_anom = m if eccentricity < 0.8 else math.pi
    for _ in range(50):
        delta = (e_anom - eccentricity * math.sin(e_anom) - m) / (1.0 - eccentricity * math.cos(e_anom))
        e_anom -= delta
        if abs(delta) < 1e-15:
            break
    return e_anom


def two_body_state(mu_m3_s2, a_m, e, i_deg, node_deg, argp_deg, mean_anomaly_deg):
    """Return (position m, velocity m/s) in the elements' reference frame."""
    e_anom = solve_kepler(math.radians(mean_anomaly_deg), e)
    cos_e, sin_e = math.cos(e_anom), math.sin(e_anom)
    root = math.sqrt(1.0 - e * e)
    radius = a_m * (1.0 - e * cos_e)
    pos_pf = np.array([a_m * (cos_e - e), a_m * root * sin_e, 0.0])
    speed_factor = math.sqrt(mu_m3_s2 * a_m) / radius
    vel_pf = np.array([-speed_factor * sin_e, speed_factor * root * cos_e, 0.0])
    rotation = (rotation_z(math.radians(node_deg))
                @ rotation_x(math.radians(i_deg))
                @ rotation_z(math.radians(argp_deg)))
    return rotation @ pos_pf, rotation @ vel_pf


def ecliptic_j2000_to_icrf(vector):
    eps = math.radians(OBLIQUITY_J2000_DEG)
    return rotation_x(eps) @ np.asarray(vector, dtype=float)


def angle_between_deg(u, v):
    return math.degrees(math.atan2(np.linalg.norm(np.cross(u, v)), float(np.dot(u, v))))


# --------------------------------------------------------------------------
# DE421 access

class De421:
    """DE421 states and constants in SI units via jplephem's legacy reader."""

    def __init__(self):
        self.ephemeris = Ephemeris(de421)
        self.au_km = float(self.ephemeris.AU)
        self.emrat = float(self.ephemeris.EMRAT)
        self.gm_unit = (self.au_km * 1000.0) ** 3 / SECONDS_PER_DAY ** 2

    def gm_si(self, key):
        """Return a header GM (AU^3/day^2) in m^3/s^2."""
        return float(getattr(self.ephemeris, key)) * self.gm_unit

    def state(self, series, jd_tdb, days_after=0.0):
        """Return (position m, velocity m/s) of one DE421 series."""
        position_km, velocity_km_day = self.ephemeris.position_and_velocity(series, jd_tdb, days_after)
        position = np.asarray(position_km, dtype=float).reshape(3) * 1000.0
        velocity = np.asarray(velocity_km_day, dtype=float).reshape(3) * 1000.0 / SECONDS_PER_DAY
        return position, velocity

    def earth_and_moon(self, jd_tdb, days_after=0.0):
        """Return barycentric ((r, v) Earth, (r, v) Moon) from EMB and the geocentric Moon."""
        emb_r, emb_v = self.state("earthmoon", jd_tdb, days_after)
        geo_r, geo_v = self.state("moon", jd_tdb, days_after)
        earth_share = 1.0 / (1.0 + self.emrat)
        moon_share = self.emrat / (1.0 + self.emrat)
        earth = (emb_r - geo_r * earth_share, emb_v - geo_v * earth_share)
        moon = (emb_r + geo_r * moon_share, emb_v + geo_v * moon_share)
        return earth, moon


# --------------------------------------------------------------------------
# Mean-element propagation

def triton_node_rate_deg_per_day():
    """Return Triton's node rate about its Laplace pole from the IAU Neptune pole model.

    The magnitude is N's rate. The sign is + when the model moves Neptune's
    pole counterclockwise about the mean pole (right-handed about it),
    because Triton's orbit normal co-precesses with Neptune's spin axis.
    """
    def neptune_pole(n_deg):
        n_rad = math.radians(n_deg)
        return unit_vector_from_ra_dec(
            NEPTUNE_POLE_RA0_DEG + NEPTUNE_POLE_RA_AMPLITUDE_DEG * math.sin(n_rad),
            NEPTUNE_POLE_DEC0_DEG - NEPTUNE_POLE_DEC_AMPLITUDE_DEG * math.cos(n_rad))

    mean_pole = unit_vector_from_ra_dec(NEPTUNE_POLE_RA0_DEG, NEPTUNE_POLE_DEC0_DEG)
    turning = float(np.dot(mean_pole, np.cross(neptune_pole(0.0), neptune_pole(1.0))))
    sense = 1.0 if turning > 0.0 else -1.0
    return sense * NEPTUNE_N_RATE_DEG_PER_CENTURY / DAYS_PER_JULIAN_CENTURY


def secular_rates_deg_per_day(planet, moon, row):
    """Return (node rate, argument-of-periapsis rate, note) in deg/day."""
    p_w_years, p_node_years = row[8], row[9]
    if planet == "Uranus":
        index = GUST86_ORDER.index(moon)
        node_rate = GUST86_FQI[index] / DAYS_PER_JULIAN_YEAR
        pericenter_rate = GUST86_FQE[index] / DAYS_PER_JULIAN_YEAR
        return node_rate, pericenter_rate - node_rate, "GUST86 secular rates"
    if planet == "Neptune":
        return triton_node_rate_deg_per_day(), 0.0, "node rate from the IAU Neptune pole precession; e = 0"
    if p_w_years is None or p_node_years is None:
        return 0.0, 0.0, "no precession periods available; node and w held at table values"
    sense = MOON_TABLES[planet]["argp_sense"][moon]
    node_rate = -360.0 / (p_node_years * DAYS_PER_JULIAN_YEAR)
    argp_rate = sense * 360.0 / (p_w_years * DAYS_PER_JULIAN_YEAR)
    return node_rate, argp_rate, "table Pw and Pnode"


def plane_pole(planet, row):
    """Return (RA, Dec, description) of the reference-plane pole for one table row."""
    if planet == "Uranus":
        return (URANUS_POLE_IAU_RA_DEG + 180.0, -URANUS_POLE_IAU_DEC_DEG,
                "Uranus equator; pole along the spin angular momentum (IAU 2015 north pole reversed)")
    return row[10], row[11], "local Laplace plane, pole as tabulated by JPL"


def libration_deg(moon, jd):
    """Return the resonant libration added to a Saturnian moon's mean longitude (deg)."""
    amplitude = SATURN_LIBRATION_AMPLITUDE_DEG.get(moon)
    if amplitude is None:
        return 0.0
    centuries = (jd - 2451545.0) / DAYS_PER_JULIAN_CENTURY
    return amplitude * math.sin(math.radians(SATURN_S5_DEG + SATURN_S5_RATE_DEG_PER_CENTURY * centuries))


def propagate_row(planet, moon, row, epoch_jd, target_jd):
    """Return propagated (node, argp, mean anomaly) in deg plus the rates used.

    The mean longitude advances by the table's n; node and w by their
    secular rates; M is what remains. Mimas and Tethys also get their
    resonant libration term.
    """
    a_km, e, argp0, mean0, incl, node0, n_deg_day = row[:7]
    dt = target_jd - epoch_jd
    node_rate, argp_rate, note = secular_rates_deg_per_day(planet, moon, row)
    longitude = node0 + argp0 + mean0 + n_deg_day * dt + libration_deg(moon, target_jd)
    node = node0 + node_rate * dt
    argp = argp0 + argp_rate * dt
    mean_anomaly = longitude - node - argp
    return (node % 360.0, argp % 360.0, mean_anomaly % 360.0), (node_rate, argp_rate, note)


def moon_state_about_planet(planet, moon, row, epoch_jd, target_jd, gm_planet, gm_moon):
    """Return the planetocentric ICRF state (m, m/s) of one moon at target_jd."""
    a_km, e, _, _, incl = row[:5]
    (node, argp, mean_anomaly), _ = propagate_row(planet, moon, row, epoch_jd, target_jd)
    pole_ra, pole_dec, _ = plane_pole(planet, row)
    r_plane, v_plane = two_body_state(gm_planet + gm_moon, a_km * 1000.0, e, incl, node, argp, mean_anomaly)
    to_icrf = plane_to_icrf_matrix(pole_ra, pole_dec)
    return to_icrf @ r_plane, to_icrf @ v_plane


# --------------------------------------------------------------------------
# Build the bodies

def build_bodies(eph):
    bodies = {}
    gm_sun = GAUSSIAN_GRAVITATIONAL_CONSTANT ** 2 * eph.gm_unit
    gmb = eph.gm_si("GMB")
    gm_moon = gmb / (1.0 + eph.emrat)
    gm_earth = gmb - gm_moon

    def add(name, parent, gm, radius_km, state, sources, extra=None):
        record = {
            "name": name,
            "parent": parent,
            "gm_m3_s2": float(gm),
            "radius_m": float(radius_km) * 1000.0,
            "position_m": [float(x) for x in state[0]],
            "velocity_m_s": [float(x) for x in state[1]],
            "sources": sources,
        }
        if extra:
            record.update(extra)
        bodies[name] = record

    add("Sun", None, gm_sun, IAU_MEAN_RADIUS_KM["Sun"], eph.state("sun", EPOCH_JD_TDB),
        ["de421", "de421_constants", "iau_wgccre_2015"])
    add("Mercury", "Sun", eph.gm_si("GM1"), IAU_MEAN_RADIUS_KM["Mercury"], eph.state("mercury", EPOCH_JD_TDB),
        ["de421", "de421_constants", "iau_wgccre_2015"])
    add("Venus", "Sun", eph.gm_si("GM2"), IAU_MEAN_RADIUS_KM["Venus"], eph.state("venus", EPOCH_JD_TDB),
        ["de421", "de421_constants", "iau_wgccre_2015"])
    earth, moon = eph.earth_and_moon(EPOCH_JD_TDB)
    add("Earth", "Sun", gm_earth, IAU_MEAN_RADIUS_KM["Earth"], earth,
        ["de421", "de421_constants", "iau_wgccre_2015"])
    add("Moon", "Earth", gm_moon, IAU_MEAN_RADIUS_KM["Moon"], moon,
        ["de421", "de421_constants", "iau_wgccre_2015"])

    for planet, series, gm_key in PLANET_SYSTEMS:
        add_planet_system(eph, add, planet, series, gm_key)

    return [bodies[name] for name in BODY_ORDER]


def add_planet_system(eph, add, planet, series, gm_key):
    """Place a planet and its moons so their barycenter is DE421's system barycenter."""
    table = MOON_TABLES[planet]
    gm_system = eph.gm_si(gm_key)
    moon_names = list(table["rows"].keys())
    moon_gms = {m: SATELLITE_GM_KM3_S2[m] * 1e9 for m in moon_names}
    gm_planet = gm_system - sum(moon_gms.values())
    bary_r, bary_v = eph.state(series, EPOCH_JD_TDB)

    relative = {}
    for moon in moon_names:
        row = table["rows"][moon]
        relative[moon] = moon_state_about_planet(planet, moon, row, table["epoch_jd"], EPOCH_JD_TDB,
                                                 gm_planet, moon_gms[moon])

    weighted_r = sum(moon_gms[m] * relative[m][0] for m in moon_names)
    weighted_v = sum(moon_gms[m] * relative[m][1] for m in moon_names)
    planet_r = bary_r - weighted_r / gm_system
    planet_v = bary_v - weighted_v / gm_system
    add(planet, "Sun", gm_planet, IAU_MEAN_RADIUS_KM[planet], (planet_r, planet_v),
        ["de421", "de421_constants", "jpl_gm_horizons", "iau_wgccre_2015"])

    for moon in moon_names:
        row = table["rows"][moon]
        (node, argp, mean_anomaly), (node_rate, argp_rate, rate_note) = propagate_row(
            planet, moon, row, table["epoch_jd"], EPOCH_JD_TDB)
        pole_ra, pole_dec, plane_text = plane_pole(planet, row)
        elements = {
            "a_km": row[0],
            "e": row[1],
            "i_deg": row[4],
            "node_deg": row[5],
            "argp_deg": row[2],
            "mean_anomaly_deg": row[3],
            "mean_longitude_rate_deg_per_day": row[6],
            "plane": plane_text,
            "plane_pole_ra_deg": pole_ra,
            "plane_pole_dec_deg": pole_dec,
            "epoch": table["epoch_label"],
            "epoch_jd_tt": table["epoch_jd"],
            "node_rate_deg_per_day": node_rate,
            "argp_rate_deg_per_day": argp_rate,
            "rates": rate_note,
            "at_state_epoch": {"node_deg": node, "argp_deg": argp, "mean_anomaly_deg": mean_anomaly},
        }
        if moon in SATURN_LIBRATION_AMPLITUDE_DEG:
            elements["mean_longitude_libration_deg"] = libration_deg(moon, EPOCH_JD_TDB)
            elements["libration"] = ("Mimas-Tethys resonance term from the IAU 2015 rotation model, "
                                     "added to the mean longitude: %+.2f sin(316.45 + 506.2 T) deg"
                                     % SATURN_LIBRATION_AMPLITUDE_DEG[moon])
        if planet in ("Mars", "Jupiter"):
            element_sources = ["jpl_sat_elem"]
        elif planet == "Uranus":
            element_sources = ["jpl_sat_elem_transcribed", "gust86", "iau_wgccre_2015"]
        elif planet == "Neptune":
            element_sources = ["jpl_sat_elem_transcribed", "iau_wgccre_2015"]
        else:
            element_sources = ["jpl_sat_elem_transcribed"]
            if moon in SATURN_LIBRATION_AMPLITUDE_DEG:
                element_sources.append("iau_wgccre_2015")
        radius_source = "jpl_sat_phys_par" if moon in JPL_SATELLITE_MEAN_RADIUS_KM else "iau_wgccre_2015"
        radius_km = JPL_SATELLITE_MEAN_RADIUS_KM.get(moon, IAU_MEAN_RADIUS_KM.get(moon))
        state = (planet_r + relative[moon][0], planet_v + relative[moon][1])
        sources = ["de421"] + element_sources + ["jpl_gm_horizons", radius_source]
        add(moon, planet, moon_gms[moon], radius_km, state, list(dict.fromkeys(sources)),
            {"mean_elements": elements})


# --------------------------------------------------------------------------
# Fixture

def build_fixture(eph):
    samples = []
    for days in FIXTURE_OFFSETS_DAYS:
        states = []

        def add(name, kind, state):
            states.append({
                "name": name,
                "kind": kind,
                "position_m": [float(x) for x in state[0]],
                "velocity_m_s": [float(x) for x in state[1]],
            })

        add("Sun", "star", eph.state("sun", EPOCH_JD_TDB, days))
        add("Mercury", "planet", eph.state("mercury", EPOCH_JD_TDB, days))
        add("Venus", "planet", eph.state("venus", EPOCH_JD_TDB, days))
        earth, moon = eph.earth_and_moon(EPOCH_JD_TDB, days)
        add("Earth", "planet", earth)
        add("Moon", "moon", moon)
        for planet, series, _ in PLANET_SYSTEMS:
            add(planet, "system_barycenter", eph.state(series, EPOCH_JD_TDB, days))
        samples.append({"days": days, "jd_tdb": EPOCH_JD_TDB + days, "states": states})
    return {
        "epoch_jd_tdb": EPOCH_JD_TDB,
        "frame": "ICRF",
        "origin": "solar system barycenter",
        "time_scale": "TDB",
        "units": {"position": "m", "velocity": "m/s"},
        "source": "DE421 via jplephem 2.24 and the de421 2008.1 package; "
                  "Mars..Neptune are system barycenters (DE421 series 4..8); "
                  "Mercury and Venus barycenters coincide with the planets.",
        "samples": samples,
    }


# --------------------------------------------------------------------------
# Output text

def solar_system_document(bodies):
    return {
        "epoch": {"iso_tdb": EPOCH_ISO_TDB, "jd_tdb": EPOCH_JD_TDB},
        "frame": "ICRF",
        "origin": "solar system barycenter",
        "time_scale": "TDB",
        "units": {"position": "m", "velocity": "m/s", "gm": "m^3/s^2", "radius": "m"},
        "sources": SOURCES,
        "bodies": bodies,
    }


def json_text(document):
    return json.dumps(document, indent=1, ensure_ascii=True, allow_nan=False) + "\n"


def swift_text(json_file_text):
    """Wrap the JSON file text in a Swift raw string whose value equals it exactly.

    A multi-line string drops the newline before the closing delimiter, so
    the extra newline keeps the file's trailing newline in the value.
    """
    if "\\" in json_file_text or '"""' in json_file_text:
        raise ValueError("JSON text contains a backslash or triple quote and cannot be embedded verbatim")
    return ("// Generated by scripts/make_solar_system.py; do not edit.\n"
            "// The string is byte-for-byte the content of data/solar_system.json.\n"
            "\n"
            "enum SolarSystemData {\n"
            "    static let json = #\"\"\"\n"
            + json_file_text
            + "\n\"\"\"#\n"
            "}\n")


def swift_string_value(swift_source):
    """Return the literal's value, decoded the way Swift decodes this raw multi-line literal."""
    opening = '#"""\n'
    closing = '\n"""#'
    start = swift_source.index(opening) + len(opening)
    end = swift_source.rindex(closing)
    return swift_source[start:end]


# --------------------------------------------------------------------------
# Checks

class CheckReport:
    def __init__(self):
        self.failures = []

    def record(self, ok, message):
        print(("PASS  " if ok else "FAIL  ") + message)
        if not ok:
            self.failures.append(message)


def check_bodies(report, eph, bodies):
    names = [b["name"] for b in bodies]
    report.record(names == BODY_ORDER, "body list has %d bodies in the required order" % len(names))
    finite = all(math.isfinite(x) for b in bodies
                 for x in b["position_m"] + b["velocity_m_s"] + [b["gm_m3_s2"], b["radius_m"]])
    report.record(finite, "all positions, velocities, GMs and radii are finite")
    report.record(all(b["gm_m3_s2"] > 0 and b["radius_m"] > 0 for b in bodies), "all GMs and radii are positive")

    by_name = {b["name"]: b for b in bodies}
    earth_moon_km = np.linalg.norm(np.subtract(by_name["Moon"]["position_m"], by_name["Earth"]["position_m"])) / 1000.0
    report.record(356000.0 <= earth_moon_km <= 407000.0, "Earth-Moon distance %.1f km" % earth_moon_km)

    k2_au3 = GAUSSIAN_GRAVITATIONAL_CONSTANT ** 2
    report.record(abs(k2_au3 - float(eph.ephemeris.GMS)) <= 1e-18,
                  "DE421 GMS %.16e equals k^2 %.16e AU^3/day^2" % (float(eph.ephemeris.GMS), k2_au3))

    for planet, series, gm_key in PLANET_SYSTEMS:
        members = [by_name[planet]] + [b for b in bodies if b["parent"] == planet]
        gm_total = sum(b["gm_m3_s2"] for b in members)
        bary_r, bary_v = eph.state(series, EPOCH_JD_TDB)
        mean_r = sum(b["gm_m3_s2"] * np.array(b["position_m"]) for b in members) / gm_total
        mean_v = sum(b["gm_m3_s2"] * np.array(b["velocity_m_s"]) for b in members) / gm_total
        dr = np.linalg.norm(mean_r - bary_r)
        dv = np.linalg.norm(mean_v - bary_v)
        gm_error = abs(gm_total - eph.gm_si(gm_key)) / eph.gm_si(gm_key)
        # Round-off only: the planet state is solved from the barycenter.
        ok = (dr <= 1e-14 * np.linalg.norm(bary_r)
              and dv <= 1e-14 * np.linalg.norm(bary_v)
              and gm_error < 1e-14)
        report.record(ok, "%-7s barycenter identity |dr| = %.3g m, |dv| = %.3g m/s, "
                          "relative system GM error %.2g" % (planet, dr, dv, gm_error))


def check_moon_periods(report, bodies):
    by_name = {b["name"]: b for b in bodies}
    for body in bodies:
        elements = body.get("mean_elements")
        if elements is None:
            continue
        parent = by_name[body["parent"]]
        mu = parent["gm_m3_s2"] + body["gm_m3_s2"]
        a_m = elements["a_km"] * 1000.0
        two_body_days = 2.0 * math.pi * math.sqrt(a_m ** 3 / mu) / SECONDS_PER_DAY
        table_days = 360.0 / elements["mean_longitude_rate_deg_per_day"]
        ratio = two_body_days / table_days
        rel_r = np.subtract(body["position_m"], parent["position_m"])
        rel_v = np.subtract(body["velocity_m_s"], parent["velocity_m_s"])
        pole = unit_vector_from_ra_dec(elements["plane_pole_ra_deg"], elements["plane_pole_dec_deg"])
        if body["parent"] == "Uranus":
            spin_pole = -unit_vector_from_ra_dec(URANUS_POLE_IAU_RA_DEG, URANUS_POLE_IAU_DEC_DEG)
        else:
            spin_pole = pole
        retrograde = float(np.dot(np.cross(rel_r, rel_v), spin_pole)) < 0.0
        sense_ok = retrograde == (body["name"] in EXPECTED_RETROGRADE)
        ok = abs(ratio - 1.0) < 0.01 and sense_ok
        hours = "  (%.3f h)" % (two_body_days * 24.0) if two_body_days < 1.0 else ""
        report.record(ok, "%-9s two-body period %.5f d%s vs table %.5f d (ratio %.5f), %s"
                      % (body["name"], two_body_days, hours, table_days, ratio,
                         "retrograde" if retrograde else "prograde"))


def check_resonant_apsides(report):
    rows = JUPITER_TABLE["rows"]
    resonant_rate = 2.0 * rows["Europa"][6] - rows["Io"][6]
    for moon in ("Io", "Europa"):
        node_rate, argp_rate, _ = secular_rates_deg_per_day("Jupiter", moon, rows[moon])
        pericenter_rate = node_rate + argp_rate
        ok = abs(pericenter_rate - resonant_rate) < 0.002
        report.record(ok, "%-6s pericenter rate %.5f deg/day vs 2 n_Europa - n_Io = %.5f deg/day"
                      % (moon, pericenter_rate, resonant_rate))


def check_uranus_table(report):
    offsets = []
    for index, moon in enumerate(GUST86_ORDER):
        row = URANUS_TABLE["rows"][moon]
        table_longitude = row[5] + row[2] + row[3]
        gust86_longitude = math.degrees(GUST86_PHN[index])
        offsets.append(math.remainder(table_longitude - gust86_longitude, 360.0))
        rate_error = abs(row[6] - math.degrees(GUST86_FQN[index]))
        report.record(rate_error < 1e-6, "%-7s table n %.7f vs GUST86 %.7f deg/day"
                      % (moon, row[6], math.degrees(GUST86_FQN[index])))
    spread = max(offsets) - min(offsets)
    report.record(spread < 0.01, "Uranian table longitudes minus GUST86 at JD 2444239.5: %s deg (spread %.4f)"
                  % (", ".join("%.3f" % x for x in offsets), spread))


def check_laplace_frame(report, bodies):
    """Compare the Saturn-table Iapetus with a Horizons vector, to test the plane conversion."""
    gm_saturn = {b["name"]: b["gm_m3_s2"] for b in bodies}["Saturn"]
    row = SATURN_TABLE["rows"]["Iapetus"]
    r_icrf, _ = moon_state_about_planet("Saturn", "Iapetus", row, SATURN_TABLE["epoch_jd"], IAPETUS_HORIZONS_JD,
                                        gm_saturn, SATELLITE_GM_KM3_S2["Iapetus"] * 1e9)
    horizons_icrf = ecliptic_j2000_to_icrf(IAPETUS_HORIZONS_AU)
    separation = angle_between_deg(r_icrf, horizons_icrf)
    report.record(separation < 1.0, "Iapetus from the Saturn table vs Horizons at 2009-02-24: %.3f deg apart"
                  % separation)


def check_saturn_librations(report, bodies):
    """Compare Saturn-table moons at J2000 with IMCCE NOE positions, testing table and libration terms."""
    gm_saturn = {b["name"]: b["gm_m3_s2"] for b in bodies}["Saturn"]
    for moon, (reference, limit_deg) in IMCCE_NOE_SATURN_J2000_KM.items():
        row = SATURN_TABLE["rows"][moon]
        r_icrf, _ = moon_state_about_planet("Saturn", moon, row, SATURN_TABLE["epoch_jd"], 2451545.0,
                                            gm_saturn, SATELLITE_GM_KM3_S2[moon] * 1e9)
        if len(reference) == 2:
            # Only x and y survive in the stored README copy, so compare right ascension.
            separation = abs(math.remainder(math.degrees(math.atan2(r_icrf[1], r_icrf[0])
                                                         - math.atan2(reference[1], reference[0])), 360.0))
            what = "RA"
        else:
            separation = angle_between_deg(r_icrf, np.array(reference))
            what = "direction"
        report.record(separation < limit_deg, "%-9s vs IMCCE NOE at J2000: %s %.2f deg apart (limit %.1f)"
                      % (moon, what, separation, limit_deg))


def check_phobos(report, bodies):
    """Compare Phobos from the MAR080 row with IMCCE's Lainey (2007) ephemeris at J2000."""
    gm_mars = {b["name"]: b["gm_m3_s2"] for b in bodies}["Mars"]
    row = MARS_TABLE["rows"]["Phobos"]
    r_icrf, _ = moon_state_about_planet("Mars", "Phobos", row, MARS_TABLE["epoch_jd"], 2451545.0,
                                        gm_mars, SATELLITE_GM_KM3_S2["Phobos"] * 1e9)
    separation = angle_between_deg(r_icrf, np.array(IMCCE_PHOBOS_J2000_AU))
    report.record(separation < 2.0, "Phobos    vs IMCCE (Lainey 2007) at J2000: %.2f deg apart, "
                                    "50 years after the table epoch" % separation)


def check_outputs(report, json_file_text, swift_source, fixture_text):
    report.record(swift_string_value(swift_source) == json_file_text,
                  "Swift string literal equals data/solar_system.json byte for byte")
    document = json.loads(json_file_text)
    report.record(len(document["bodies"]) == 29, "JSON parses and has 29 bodies")
    fixture = json.loads(fixture_text)
    counts = [len(s["states"]) for s in fixture["samples"]]
    report.record(counts == [10, 10], "fixture has samples at %s days with %s states"
                  % ([s["days"] for s in fixture["samples"]], counts))


# --------------------------------------------------------------------------

def write_file(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as handle:
        handle.write(text)
    print("wrote %s (%d bytes)" % (path, len(text)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only print the checks; write no files")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        help="repository root that receives the output files (default: this script's repo)")
    args = parser.parse_args()

    eph = De421()
    bodies = build_bodies(eph)
    json_file_text = json_text(solar_system_document(bodies))
    swift_source = swift_text(json_file_text)
    fixture_text = json.dumps(build_fixture(eph), indent=1, ensure_ascii=True, allow_nan=False) + "\n"

    report = CheckReport()
    check_bodies(report, eph, bodies)
    check_moon_periods(report, bodies)
    check_resonant_apsides(report)
    check_uranus_table(report)
    check_laplace_frame(report, bodies)
    check_saturn_librations(report, bodies)
    check_phobos(report, bodies)
    check_outputs(report, json_file_text, swift_source, fixture_text)

    if report.failures:
        print("%d check(s) failed; no files written." % len(report.failures))
        return 1
    if not args.check:
        write_file(os.path.join(args.root, "data", "solar_system.json"), json_file_text)
        write_file(os.path.join(args.root, "Sources", "GalaxyServer", "Simulation", "SolarSystemData.swift"),
                   swift_source)
        write_file(os.path.join(args.root, "Tests", "GalaxyServerTests", "Fixtures", "de421_reference.json"),
                   fixture_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
