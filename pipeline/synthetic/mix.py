"""The calibrated mix of the synthetic 311 history: seasonality, growth and the key anchor, plus
per-agency status, channel and resolution texts and the dirty-row kinds (the complaint types
themselves are in complaints.py).

Why these numbers: the shared sample (924 real rows, one Sunday hour in May 2022) fixes the exact
spelling of agencies, descriptors, place types, channels and resolution texts, and the shape of a
night hour (NYPD noise dominates). The yearly mix is common knowledge of the public dataset: about
3.2 million requests a year, Illegal Parking, Noise - Residential and HEAT/HOT WATER each near a
tenth, NYPD about 40 %, HPD about 20 %. Weights are shares of a year, in per mille.
"""
from __future__ import annotations

import json
from pathlib import Path

# Each profile's shape: hour of day (24), weekend hour of day (24, null = the same), weekday Mon..Sun (7),
# month Jan..Dec (12). Calibration data, so it lives in a data file beside this module.
Profile = tuple[tuple[float, ...], tuple[float, ...] | None, tuple[float, ...], tuple[float, ...]]


def _profiles() -> dict[str, Profile]:
    raw = json.loads((Path(__file__).with_name("profiles.json")).read_text(encoding="utf-8"))
    return {name: (tuple(p["hours"]), None if p["weekend_hours"] is None else tuple(p["weekend_hours"]),
                   tuple(p["weekdays"]), tuple(p["months"])) for name, p in raw.items()}


PROFILES: dict[str, Profile] = _profiles()

YEARLY_GROWTH = 1.05  # the public dataset grew from ~2 M (2012) to ~3.2 M (2022) requests a year
REAL_REQUESTS_PER_YEAR = 3_200_000

# Unique keys of the real dataset: 54049402 was created 2022-05-01 00:00 NY (shared sample).
KEY_ANCHOR = (54_049_402, "2022-05-01")

CHANNELS = ("PHONE", "ONLINE", "MOBILE", "UNKNOWN", "OTHER")
_CHANNEL_DEFAULT = (0.5, 0.35, 0.1, 0.04, 0.01)
CHANNEL_MIX: dict[str, tuple[float, ...]] = {
    "NYPD": (0.15, 0.52, 0.295, 0.03, 0.005),  # the sample: ONLINE 54 %, MOBILE 30 %, PHONE 15 %
    "HPD": (0.55, 0.35, 0.08, 0.01, 0.01),
    "DOT": (0.35, 0.3, 0.3, 0.03, 0.02),
    "DSNY": (0.3, 0.4, 0.25, 0.03, 0.02),
    "DEP": (0.6, 0.2, 0.15, 0.04, 0.01),
    "DOB": (0.45, 0.4, 0.1, 0.03, 0.02),
    "DPR": (0.4, 0.35, 0.2, 0.04, 0.01),
    "DOHMH": (0.45, 0.3, 0.2, 0.04, 0.01),
    "DHS": (0.5, 0.2, 0.25, 0.04, 0.01),
}


def channel_mix(agency: str) -> tuple[float, ...]:
    return CHANNEL_MIX.get(agency, _CHANNEL_DEFAULT)


# Status of a request that is not closed at export time, per agency.
_OPEN_DEFAULT = {"Open": 0.6, "In Progress": 0.3, "Pending": 0.1}
OPEN_STATUS: dict[str, dict[str, float]] = {
    "NYPD": {"In Progress": 0.95, "Open": 0.05},
    "HPD": {"Open": 0.85, "In Progress": 0.15},
    "DOT": {"Open": 0.4, "In Progress": 0.35, "Assigned": 0.25},
    "DSNY": {"In Progress": 0.5, "Open": 0.2, "Pending": 0.15, "Started": 0.15},
    "DEP": {"Open": 0.3, "Started": 0.3, "Assigned": 0.4},
    "DOB": {"Open": 0.5, "In Progress": 0.2, "Assigned": 0.3},
    "DPR": {"Open": 0.4, "In Progress": 0.3, "Assigned": 0.3},
    "DOHMH": {"In Progress": 0.5, "Pending": 0.3, "Open": 0.2},
}


def open_status(agency: str) -> dict[str, float]:
    return OPEN_STATUS.get(agency, _OPEN_DEFAULT)


# Share of requests an agency never closes (stay open for years in the real data).
NEVER_CLOSED: dict[str, float] = {"NYPD": 0.002, "HPD": 0.01, "DOT": 0.02, "DSNY": 0.01, "DEP": 0.02,
                                  "DOB": 0.05, "DPR": 0.08, "DOHMH": 0.03}
NEVER_CLOSED_DEFAULT = 0.02

# Agencies that set a Due Date, with their service level in days.
DUE_DAYS: dict[str, float] = {"DOT": 30, "DEP": 14, "DPR": 90, "DOB": 60, "DOHMH": 30, "DCWP": 45}

# Facility Type: empty for most agencies; the sample has N/A on DOT rows.
FACILITY_TYPE: dict[str, str] = {"DOT": "N/A", "DSNY": "N/A", "DPR": "N/A"}

CLOSED_TEXTS: dict[str, dict[str, float]] = {
    "NYPD": {  # the shared sample's own counts
        "The Police Department responded to the complaint and took action to fix the condition.": 216,
        "The Police Department responded to the complaint and with the information available observed no "
        "evidence of the violation at that time.": 141,
        "The Police Department reviewed your complaint and provided additional information below.": 34,
        "The Police Department responded to the complaint but officers were unable to gain entry into the "
        "premises.": 23,
        "The Police Department responded and upon arrival those responsible for the condition were gone.": 22,
        "The Police Department responded to the complaint and determined that police action was not necessary.": 20,
        "The Police Department issued a summons in response to the complaint.": 18,
    },
    "HPD": {
        "The Department of Housing Preservation and Development inspected the following conditions. Violations "
        "were issued. Information about specific violations is available at www.nyc.gov/hpd.": 0.4,
        "The Department of Housing Preservation and Development responded to a complaint of no heat or hot water "
        "and was advised by a tenant in the building that heat was restored.": 0.3,
        "The Department of Housing Preservation and Development was not able to gain access to your apartment "
        "or others in the building to inspect for a violation. If the condition still exists, please file a new "
        "complaint.": 0.2,
        "The complaint you filed is a duplicate of a condition already reported by another tenant for a "
        "building-wide condition. The original complaint is still open.": 0.1,
    },
    "DOT": {
        "The Department of Transportation inspected this complaint and repaired the problem.": 0.5,
        "The Department of Transportation inspected the condition you reported and determined that it does not "
        "require any action at this time.": 0.3,
        "The Department of Transportation referred this complaint to the appropriate Maintenance Unit for "
        "repair.": 0.2,
    },
    "DSNY": {
        "The Department of Sanitation picked up the items.": 0.5,
        "The Department of Sanitation investigated this complaint and found no violation at the location.": 0.3,
        "The Department of Sanitation has collected the missed waste.": 0.2,
    },
    "DEP": {
        "The Department of Environmental Protection resolved the problem.": 0.5,
        "The Department of Environmental Protection investigated this complaint and determined that the "
        "condition was not found.": 0.3,
        "The Department of Environmental Protection determined that this complaint is a duplicate of a "
        "previously filed complaint. The original complaint is being addressed.": 0.2,
    },
    "DOB": {
        "The Department of Buildings reviewed this complaint and determined that no violations were issued.": 0.5,
        "The Department of Buildings inspected the location and issued a violation.": 0.3,
        "The Department of Buildings attempted to inspect this complaint but could not gain access to the "
        "location.": 0.2,
    },
    "DPR": {
        "NYC Parks inspected the tree and performed the work needed to correct the condition.": 0.6,
        "NYC Parks inspected the tree and determined that no work is needed at this time.": 0.4,
    },
    "DOHMH": {
        "The Department of Health and Mental Hygiene inspected the location and found signs of rodent activity. "
        "A notice was issued to the property owner.": 0.5,
        "The Department of Health and Mental Hygiene inspected the location and did not find any violations.": 0.5,
    },
    "DHS": {
        "The Department of Homeless Services sent an outreach team to the location but could not find the "
        "individual.": 0.5,
        "The Department of Homeless Services sent an outreach team, which engaged the individual.": 0.5,
    },
    "TLC": {"The Taxi and Limousine Commission reviewed your complaint and will contact you if further "
            "information is needed.": 1.0},
    "EDC": {"The Economic Development Corporation reviewed your complaint and forwarded it to the Federal "
            "Aviation Administration, which regulates helicopter traffic.": 1.0},
    "DCWP": {"The Department of Consumer and Worker Protection mediated the complaint and the business agreed "
             "to a refund.": 0.6,
             "The Department of Consumer and Worker Protection closed the complaint because the business could "
             "not be located.": 0.4},
    "HRA": {"The Human Resources Administration mailed a replacement benefit card to the client.": 1.0},
}

# Text on a request still open at export time (empty for most agencies, as in the sample).
OPEN_TEXTS: dict[str, str] = {
    "DOT": "The Department of Transportation referred this complaint to the appropriate Maintenance Unit for repair.",
    "HPD": "The following complaint conditions are still open. HPD may attempt to contact you to verify the "
           "correction of the condition or may conduct an inspection.",
}

# Shares of the unusual rows real exports carry, among the --dirty-fraction rows.
DIRTY_KINDS: dict[str, float] = {
    "closed_before_created": 0.14,
    "midnight_placeholder": 0.14,
    "unspecified_values": 0.14,
    "unspecified_borough": 0.10,
    "no_location": 0.12,
    "bad_zip": 0.12,
    "unusable": 0.06,
    "duplicate_update": 0.18,
}
OUTSIDE_NYC_ZIPS = ("07302", "07030", "06902", "12345", "11559", "10550", "11003", "00000")
MALFORMED_ZIPS = ("1002", "10001-1234", "N/A", "NA", "100014", "11 201", "UNKNOWN")
UNPARSEABLE_DATES = ("", "N/A", "00/00/0000 12:00:00 AM", "13/45/2021 25:61:00 PM")
