"""The calibrated mix of the synthetic 311 history: complaint types with their agency, weight,
descriptors, place types, resolution times and seasonality, plus per-agency status, channel and
resolution texts.

Why these numbers: the shared sample (924 real rows, one Sunday hour in May 2022) fixes the exact
spelling of agencies, descriptors, place types, channels and resolution texts, and the shape of a
night hour (NYPD noise dominates). The yearly mix is common knowledge of the public dataset: about
3.2 million requests a year, Illegal Parking, Noise - Residential and HEAT/HOT WATER each near a
tenth, NYPD about 40 %, HPD about 20 %. Weights are shares of a year, in per mille.
"""
from __future__ import annotations

from dataclasses import dataclass, field

AGENCY_NAMES: dict[str, str] = {
    "NYPD": "New York City Police Department",
    "HPD": "Department of Housing Preservation and Development",
    "DOT": "Department of Transportation",
    "DSNY": "Department of Sanitation",
    "DEP": "Department of Environmental Protection",
    "DOB": "Department of Buildings",
    "DPR": "Department of Parks and Recreation",
    "DOHMH": "Department of Health and Mental Hygiene",
    "DHS": "Department of Homeless Services",
    "TLC": "Taxi and Limousine Commission",
    "EDC": "Economic Development Corporation",
    "DCWP": "Department of Consumer and Worker Protection",
    "HRA": "Human Resources Administration",
}


@dataclass(frozen=True)
class ComplaintType:
    name: str
    agency: str
    weight: float                      # per mille of a year's requests
    profile: str                       # key of PROFILES: hour / weekday / month shape
    median_h: float                    # median hours from creation to closing
    sigma: float                       # lognormal spread of the resolution time
    descriptors: dict[str, float]
    locations: dict[str, float]
    boroughs: dict[str, float] = field(default_factory=dict)  # multipliers on population weights
    extras: dict[tuple[str, ...], float] = field(default_factory=dict)  # Vehicle..Bridge columns


STREET = {"Street/Sidewalk": 1.0}
HOME = {"Residential Building/House": 1.0}
APT = {"RESIDENTIAL BUILDING": 1.0}
ST = {"Street": 0.7, "Sidewalk": 0.3}

# The 7 columns Vehicle Type .. Bridge Highway Segment (empty on almost every row).
NO_EXTRAS: tuple[str, ...] = ("",) * 7

TYPES: tuple[ComplaintType, ...] = (
    # NYPD: quick responses, noise at night and on weekends
    ComplaintType("Noise - Residential", "NYPD", 95, "noise", 2.0, 1.1,
                  {"Loud Music/Party": 0.7, "Banging/Pounding": 0.2, "Loud Talking": 0.06, "Loud Television": 0.04},
                  HOME, {"Bronx": 1.35, "Manhattan": 1.1, "Brooklyn": 1.0, "Queens": 0.8, "Staten Island": 0.55}),
    ComplaintType("Illegal Parking", "NYPD", 100, "parking", 3.5, 1.2,
                  {"Blocked Hydrant": 0.22, "Posted Parking Sign Violation": 0.2, "Blocked Sidewalk": 0.14,
                   "Commercial Overnight Parking": 0.12, "Double Parked Blocking Traffic": 0.1,
                   "Blocked Crosswalk": 0.06, "Double Parked Blocking Vehicle": 0.06, "Blocked Bike Lane": 0.05,
                   "Unauthorized Bus Layover": 0.02, "Overnight Commercial Storage": 0.03},
                  STREET, {"Queens": 1.3, "Brooklyn": 1.2, "Bronx": 1.0, "Manhattan": 0.65, "Staten Island": 1.0}),
    ComplaintType("Blocked Driveway", "NYPD", 40, "parking", 3.0, 1.1,
                  {"No Access": 0.8, "Partial Access": 0.2}, STREET,
                  {"Queens": 1.7, "Brooklyn": 1.2, "Bronx": 1.0, "Manhattan": 0.15, "Staten Island": 0.9}),
    ComplaintType("Noise - Street/Sidewalk", "NYPD", 40, "noise", 1.8, 1.1,
                  {"Loud Music/Party": 0.8, "Loud Talking": 0.2}, STREET, {"Manhattan": 1.3, "Bronx": 1.2}),
    ComplaintType("Noise - Commercial", "NYPD", 25, "noise", 2.0, 1.1,
                  {"Loud Music/Party": 0.8, "Loud Talking": 0.08, "Car/Truck Music": 0.05, "Banging/Pounding": 0.07},
                  {"Store/Commercial": 0.5, "Club/Bar/Restaurant": 0.5}, {"Manhattan": 1.7, "Staten Island": 0.6}),
    ComplaintType("Noise - Vehicle", "NYPD", 20, "noise", 1.8, 1.1,
                  {"Car/Truck Music": 0.75, "Engine Idling": 0.12, "Car/Truck Horn": 0.13}, STREET),
    ComplaintType("Abandoned Vehicle", "NYPD", 22, "parking", 30.0, 1.3,
                  {"With License Plate": 0.7, "No License Plate": 0.3}, STREET,
                  {"Queens": 1.5, "Brooklyn": 1.2, "Manhattan": 0.4},
                  {("Car", "", "", "", "", "", ""): 0.6, ("SUV", "", "", "", "", "", ""): 0.25,
                   ("Van", "", "", "", "", "", ""): 0.1, ("Truck", "", "", "", "", "", ""): 0.05}),
    ComplaintType("Non-Emergency Police Matter", "NYPD", 10, "evening", 3.0, 1.2,
                  {"Other (complaint details)": 0.7, "Trespassing": 0.15, "Face Covering Violation": 0.05,
                   "Social Distancing": 0.1}, {"Street/Sidewalk": 0.6, "Residential Building/House": 0.4}),
    ComplaintType("Encampment", "NYPD", 6, "evening", 4.0, 1.2, {"N/A": 1.0},
                  {"Street/Sidewalk": 0.5, "Subway": 0.3, "Store/Commercial": 0.2}, {"Manhattan": 2.0}),
    ComplaintType("Illegal Fireworks", "NYPD", 5, "fireworks", 2.0, 1.0, {"N/A": 1.0},
                  {"Street/Sidewalk": 0.8, "Residential Building/House": 0.2}),
    ComplaintType("Noise - Park", "NYPD", 3, "noise", 2.0, 1.0,
                  {"Loud Music/Party": 0.7, "Loud Talking": 0.3}, {"Park/Playground": 1.0}),
    ComplaintType("Traffic", "NYPD", 3, "evening", 2.5, 1.0,
                  {"Drag Racing": 0.5, "Truck Route Violation": 0.3, "Congestion/Gridlock": 0.2}, STREET),
    ComplaintType("Drug Activity", "NYPD", 2.5, "evening", 6.0, 1.2,
                  {"Use Indoor": 0.4, "Use Outside": 0.4, "Sale": 0.2},
                  {"Street/Sidewalk": 0.5, "Residential Building/House": 0.5}, {"Bronx": 1.6}),
    ComplaintType("Animal-Abuse", "NYPD", 2.5, "evening", 4.0, 1.1,
                  {"Neglected": 0.5, "Tortured": 0.2, "No Shelter": 0.3}, HOME),
    ComplaintType("Vendor Enforcement", "NYPD", 2, "business", 5.0, 1.1,
                  {"Food Vendor": 0.6, "Non-Food Vendor": 0.4}, STREET, {"Manhattan": 2.0}),
    ComplaintType("Drinking", "NYPD", 1.5, "evening", 2.5, 1.0,
                  {"In Public": 0.7, "Underage - Licensed Est": 0.3},
                  {"Street/Sidewalk": 0.5, "Store/Commercial": 0.25, "Club/Bar/Restaurant": 0.25}),
    ComplaintType("Panhandling", "NYPD", 1, "business", 3.0, 1.0, {"N/A": 1.0},
                  {"Subway": 0.5, "Street/Sidewalk": 0.5}, {"Manhattan": 2.5}),
    # HPD: heating season, days to close
    ComplaintType("HEAT/HOT WATER", "HPD", 75, "heat", 60.0, 0.9,
                  {"ENTIRE BUILDING": 0.6, "APARTMENT ONLY": 0.4}, APT,
                  {"Bronx": 1.7, "Manhattan": 1.15, "Brooklyn": 1.0, "Queens": 0.6, "Staten Island": 0.3}),
    ComplaintType("UNSANITARY CONDITION", "HPD", 25, "housing", 240.0, 1.0,
                  {"PESTS": 0.45, "MOLD": 0.25, "GARBAGE": 0.15, "SEWAGE": 0.15}, APT, {"Bronx": 1.6}),
    ComplaintType("PLUMBING", "HPD", 16, "housing", 240.0, 1.0,
                  {"BASIN/SINK": 0.3, "WATER SUPPLY": 0.3, "TOILET": 0.2, "BATHTUB/SHOWER": 0.2}, APT, {"Bronx": 1.5}),
    ComplaintType("PAINT/PLASTER", "HPD", 15, "housing", 300.0, 1.0,
                  {"WALL": 0.55, "CEILING": 0.45}, APT, {"Bronx": 1.6}),
    ComplaintType("WATER LEAK", "HPD", 13, "housing", 200.0, 1.0,
                  {"SLOW LEAK": 0.6, "HEAVY FLOW": 0.4}, APT, {"Bronx": 1.4}),
    ComplaintType("DOOR/WINDOW", "HPD", 12, "housing", 260.0, 1.0,
                  {"DOOR": 0.5, "WINDOW FRAME": 0.3, "WINDOW GLASS": 0.2}, APT, {"Bronx": 1.5}),
    ComplaintType("ELECTRIC", "HPD", 6, "housing", 200.0, 1.0,
                  {"OUTLET/SWITCH": 0.4, "WIRING": 0.3, "LIGHTING": 0.3}, APT),
    ComplaintType("GENERAL", "HPD", 5, "housing", 300.0, 1.0,
                  {"COOKING GAS": 0.4, "BELL/BUZZER/INTERCOM": 0.3, "VERMIN": 0.3}, APT),
    ComplaintType("APPLIANCE", "HPD", 4, "housing", 300.0, 1.0,
                  {"REFRIGERATOR": 0.5, "STOVE/OVEN": 0.5}, APT),
    ComplaintType("FLOORING/STAIRS", "HPD", 4, "housing", 300.0, 1.0,
                  {"FLOOR": 0.6, "STAIRS": 0.4}, APT),
    # DSNY
    ComplaintType("Request Large Bulky Item Collection", "DSNY", 45, "sanitation", 60.0, 0.7,
                  {"Request Large Bulky Item Collection": 1.0}, {"Sidewalk": 1.0},
                  {"Staten Island": 1.8, "Queens": 1.3, "Manhattan": 0.5}),
    ComplaintType("Dirty Condition", "DSNY", 13, "sanitation", 96.0, 1.2,
                  {"Trash": 0.6, "Litter": 0.25, "Dog Waste": 0.15}, {"Sidewalk": 0.6, "Street": 0.4}),
    ComplaintType("Missed Collection", "DSNY", 10, "sanitation", 30.0, 0.9,
                  {"Trash": 0.6, "Recycling - Paper": 0.2, "Recycling - Metal/Glass/Plastic": 0.2}, ST),
    ComplaintType("Derelict Vehicles", "DSNY", 8, "sanitation", 200.0, 1.1,
                  {"Derelict Vehicles": 1.0}, STREET, {"Queens": 1.6, "Staten Island": 1.4, "Manhattan": 0.3},
                  {("Car", "", "", "", "", "", ""): 0.7, ("Truck", "", "", "", "", "", ""): 0.3}),
    ComplaintType("Illegal Dumping", "DSNY", 5, "sanitation", 120.0, 1.1,
                  {"Removal Request": 0.7, "Illegal Dumping Surveillance": 0.3}, {"Sidewalk": 0.5, "Street": 0.5}),
    ComplaintType("Snow or Ice", "DSNY", 3, "snow", 48.0, 1.0,
                  {"Sidewalk Not Shoveled": 0.6, "Street Not Plowed": 0.4}, ST, {"Staten Island": 1.6}),
    ComplaintType("Graffiti", "DSNY", 3, "business", 400.0, 1.2,
                  {"Graffiti": 1.0}, {"Building": 0.7, "Sidewalk": 0.3}, {"Brooklyn": 1.3}),
    ComplaintType("Dead Animal", "DSNY", 2, "sanitation", 24.0, 1.0,
                  {"Cat": 0.3, "Raccoon": 0.3, "Bird": 0.2, "Dog": 0.2}, ST),
    ComplaintType("Dumpster Complaint", "DSNY", 1.5, "sanitation", 96.0, 1.0,
                  {"Overflowing": 0.7, "Blocking Street": 0.3}, {"Sidewalk": 1.0}),
    # DOT: weeks
    ComplaintType("Street Condition", "DOT", 25, "street", 120.0, 1.3,
                  {"Pothole": 0.6, "Cave-in": 0.1, "Defective Hardware": 0.1, "Failed Street Repair": 0.2},
                  {"Street": 1.0}, {"Staten Island": 1.5, "Queens": 1.2}),
    ComplaintType("Street Light Condition", "DOT", 20, "street", 150.0, 1.3,
                  {"Street Light Out": 0.6, "Street Light Cycling": 0.15, "Street Light Dayburning": 0.1,
                   "Lamppost Damaged": 0.15}, {"Street": 1.0}),
    ComplaintType("Traffic Signal Condition", "DOT", 11, "street", 6.0, 1.4,
                  {"Controller": 0.4, "Ped Flasher": 0.2, "LED Pedestrian Unit": 0.2, "Cover Missing": 0.2},
                  {"Street": 1.0}),
    ComplaintType("Sidewalk Condition", "DOT", 7, "street", 500.0, 1.3,
                  {"Broken Sidewalk": 0.7, "Curb Defect": 0.3}, {"Sidewalk": 1.0}),
    ComplaintType("Street Sign - Damaged", "DOT", 3, "street", 300.0, 1.2,
                  {"Street Cleaning - ASP": 0.4, "Stop": 0.3, "Other/Unknown": 0.3}, {"Street": 1.0}),
    ComplaintType("Broken Parking Meter", "DOT", 2.5, "street", 72.0, 1.2,
                  {"No Receipt": 0.4, "Coin or Card Did Not Register": 0.4, "Graffiti": 0.2}, {"Street": 1.0}),
    ComplaintType("Bridge Condition", "DOT", 0.5, "street", 200.0, 1.2,
                  {"Guard Rail - Bridge": 0.6, "Pothole - Bridge": 0.4}, {"Bridge": 1.0}, {},
                  {("", "", "", "Queensboro/59th St Br", "Manhattan Bound", "Roadway", "Upper Level"): 0.4,
                   ("", "", "", "Brooklyn Bridge", "Brooklyn Bound", "Roadway", "Other"): 0.3,
                   ("", "", "", "Williamsburg Bridge", "Manhattan Bound", "Ramp", "Other"): 0.3}),
    # DEP
    ComplaintType("Water System", "DEP", 20, "business", 30.0, 1.4,
                  {"Hydrant Running (WC3)": 0.3, "No Water (WNW)": 0.25, "Leak (Use Comments) (WA2)": 0.25,
                   "Hydrant Leaking (WC1)": 0.2}, {"Street": 1.0}),
    ComplaintType("Noise", "DEP", 18, "business", 200.0, 1.2,
                  {"Noise: Construction Before/After Hours (NM1)": 0.5, "Noise, Barking Dog (NR5)": 0.2,
                   "Noise: Alarms (NR3)": 0.15, "Noise: Air Condition/Ventilation Equipment (NV1)": 0.15},
                  {"Above Address": 1.0}, {"Manhattan": 1.6}),
    ComplaintType("Sewer", "DEP", 8, "business", 20.0, 1.3,
                  {"Sewer Backup (Use Comments) (SA)": 0.5, "Catch Basin Clogged/Flooding (Use Comments) (SC)": 0.5},
                  {"Street": 1.0}, {"Queens": 1.5, "Staten Island": 1.4}),
    ComplaintType("Air Quality", "DEP", 2, "business", 250.0, 1.1,
                  {"Air: Odor/Fumes, Vehicle Idling (AD3)": 0.5, "Air: Smoke, Chimney or vent (AS1)": 0.5},
                  {"Above Address": 1.0}),
    # DOB
    ComplaintType("General Construction/Plumbing", "DOB", 9, "business", 700.0, 1.3,
                  {"Failure To Maintain": 0.4, "Illegal Conversion Of Residential Building/Space": 0.4,
                   "Plumbing-Defective/Leaking/Not Maintained": 0.2}, {"Building": 1.0}, {"Queens": 1.5}),
    ComplaintType("Building/Use", "DOB", 5, "business", 800.0, 1.3,
                  {"Illegal Conversion Of Residential Building/Space": 0.7, "Zoning - Non-Conforming/Illegal Use": 0.3},
                  {"Building": 1.0}, {"Queens": 1.8}),
    ComplaintType("Elevator", "DOB", 3, "business", 300.0, 1.2,
                  {"Elevator - Defective/Not Working": 0.8, "Elevator - Single Device On Property": 0.2},
                  {"Building": 1.0}, {"Manhattan": 1.8}),
    # DPR: trees, months
    ComplaintType("Damaged Tree", "DPR", 8, "parks", 700.0, 1.4,
                  {"Branch Cracked and Will Fall": 0.5, "Tree Leaning/Uprooted": 0.3, "Trunk Damaged": 0.2},
                  {"Street": 1.0}, {"Staten Island": 1.8, "Queens": 1.5, "Manhattan": 0.4}),
    ComplaintType("Overgrown Tree/Branches", "DPR", 4, "parks", 2000.0, 1.2,
                  {"Hitting Building": 0.5, "Blocking Street": 0.5}, {"Street": 1.0}, {"Queens": 1.6}),
    ComplaintType("New Tree Request", "DPR", 3, "parks", 4000.0, 1.0,
                  {"For One Address": 1.0}, {"Street": 1.0}, {"Queens": 1.4}),
    ComplaintType("Violation of Park Rules", "DPR", 1.5, "business", 200.0, 1.2,
                  {"Unsafe Use of Playground": 0.3, "Dogs off Leash": 0.4, "Smoking": 0.3}, {"Park": 1.0}),
    # DOHMH
    ComplaintType("Rodent", "DOHMH", 12, "business", 400.0, 1.1,
                  {"Rat Sighting": 0.7, "Mouse Sighting": 0.2, "Condition Attracting Rodents": 0.1},
                  {"3+ Family Apt. Building": 0.5, "1-2 Family Dwelling": 0.2, "Commercial Building": 0.15,
                   "Other (Explain Below)": 0.15}, {"Brooklyn": 1.3, "Manhattan": 1.3}),
    ComplaintType("Food Establishment", "DOHMH", 3, "business", 400.0, 1.0,
                  {"Rodents/Insects/Garbage": 0.5, "Food Worker Illness": 0.2, "Food Contaminated": 0.3},
                  {"Restaurant/Bar/Deli/Bakery": 1.0}, {"Manhattan": 1.6}),
    ComplaintType("Food Poisoning", "DOHMH", 1, "business", 400.0, 1.0,
                  {"1 or 2": 0.8, "3 or More": 0.2}, {"Restaurant/Bar/Deli/Bakery": 0.7, "Other (Explain Below)": 0.3}),
    ComplaintType("Mobile Food Vendor", "DOHMH", 0.5, "business", 400.0, 1.0,
                  {"Garbage": 0.5, "Unlicensed": 0.5}, {"Mobile Food Vendor": 1.0}),
    # DHS, TLC, EDC, DCWP, HRA
    ComplaintType("Homeless Person Assistance", "DHS", 5, "evening", 3.0, 1.0,
                  {"Non-Chronic": 0.6, "Chronic": 0.4},
                  {"Street/Sidewalk": 0.6, "Store/Commercial": 0.2, "Residential Building/House": 0.2},
                  {"Manhattan": 2.5}),
    ComplaintType("Taxi Complaint", "TLC", 3, "business", 900.0, 1.0,
                  {"Driver Complaint - Passenger": 0.7, "Driver Complaint - Non Passenger": 0.3}, {"Street": 1.0},
                  {"Manhattan": 2.5},
                  {("", "", "Other", "", "", "", ""): 0.8, ("", "", "JFK Airport", "", "", "", ""): 0.1,
                   ("", "", "LaGuardia Airport", "", "", "", ""): 0.1}),
    ComplaintType("For Hire Vehicle Complaint", "TLC", 2, "business", 900.0, 1.0,
                  {"Car Service Company Complaint": 0.5, "Driver Complaint - Passenger": 0.5}, {"Street": 1.0}),
    ComplaintType("Lost Property", "TLC", 1.5, "evening", 500.0, 1.0,
                  {"Electronics/Phones": 0.6, "Wallet": 0.2, "Bag/Luggage": 0.2}, {"Taxi": 1.0}, {"Manhattan": 2.5}),
    ComplaintType("Noise - Helicopter", "EDC", 6, "business", 40.0, 1.0,
                  {"Other": 0.6, "News Gathering": 0.2, "Sightseeing": 0.2}, {"Above Address": 1.0},
                  {"Manhattan": 3.0, "Queens": 1.2}),
    ComplaintType("Consumer Complaint", "DCWP", 5, "business", 600.0, 1.1,
                  {"Overcharge": 0.4, "Non-Delivery Goods": 0.3, "Damaged/Defective Goods": 0.3},
                  {"Store/Commercial": 1.0}),
    ComplaintType("Benefit Card Replacement", "HRA", 5, "business", 120.0, 0.8,
                  {"Medicaid": 0.5, "Food Stamp": 0.5}, {"Residential Building/House": 1.0}, {"Bronx": 1.8}),
)

# Hour-of-day (24), weekend hour-of-day (24, None = same), weekday Mon..Sun (7), month Jan..Dec (12).
_BUSINESS_H = (0.5, 0.4, 0.3, 0.3, 0.4, 0.8, 1.8, 3.5, 5.5, 6.5, 7, 7, 6.8, 6.8, 6.6, 6.2, 5.6, 4.8, 4, 3.4,
               2.8, 2.2, 1.5, 0.9)
PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...] | None, tuple[float, ...], tuple[float, ...]]] = {
    "noise": ((8, 6, 4, 2.5, 1.5, 1, 1, 1.2, 1.5, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3, 3.3, 3.6, 4, 4.6, 5.5, 7, 8.5, 9.5),
              (11, 10, 8, 5, 3, 1.5, 1, 1, 1.2, 1.5, 2, 2.3, 2.6, 2.8, 3, 3.3, 3.6, 4, 4.5, 5.2, 6, 7.5, 9, 10.5),
              (0.85, 0.8, 0.82, 0.88, 1.05, 1.35, 1.45),
              (0.75, 0.7, 0.8, 0.95, 1.15, 1.25, 1.3, 1.25, 1.15, 1.0, 0.85, 0.8)),
    "heat": ((2, 1.5, 1.2, 1, 1.2, 2.5, 5, 7, 7.5, 7, 6.5, 6, 5.5, 5, 4.8, 4.6, 4.6, 4.8, 5, 5, 4.8, 4.4, 3.5, 2.6),
             None, (1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 1.0),
             (2.3, 1.9, 1.4, 0.7, 0.3, 0.15, 0.1, 0.1, 0.15, 0.7, 1.6, 2.2)),
    "parking": ((3, 2.2, 1.6, 1.2, 1.3, 2.5, 4.5, 6, 6.5, 6, 5.5, 5.2, 5, 5, 5.2, 5.4, 5.6, 5.8, 6, 6, 5.6, 5, 4.4, 3.6),
                None, (1.05, 1.05, 1.05, 1.05, 1.05, 0.9, 0.85),
                (0.9, 0.9, 1, 1, 1.05, 1.05, 1.05, 1.05, 1.05, 1.0, 0.95, 0.95)),
    "street": (_BUSINESS_H, None, (1.15, 1.15, 1.1, 1.1, 1.0, 0.75, 0.75),
               (1.1, 1.4, 1.4, 1.2, 1, 0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95)),
    "sanitation": (_BUSINESS_H, None, (1.3, 1.15, 1.05, 1.0, 0.95, 0.75, 0.8),
                   (1, 0.95, 1, 1, 1.05, 1.05, 1.05, 1.05, 1, 1, 0.95, 0.95)),
    "housing": ((1, 0.7, 0.5, 0.4, 0.5, 1, 2.5, 4.5, 6, 6.5, 6.5, 6.2, 6, 6, 5.8, 5.5, 5.2, 5, 4.8, 4.5, 4, 3.2, 2.2, 1.5),
                None, (1.2, 1.1, 1.05, 1.0, 0.95, 0.8, 0.9),
                (1.1, 1.05, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 0.95, 0.95, 1.0, 1.1)),
    "business": (_BUSINESS_H, None, (1.15, 1.15, 1.1, 1.1, 1.0, 0.7, 0.7), (1.0,) * 12),
    "parks": (_BUSINESS_H, None, (1.1, 1.1, 1.05, 1.05, 1.0, 0.85, 0.85),
              (0.6, 0.6, 0.7, 0.9, 1.2, 1.4, 1.5, 1.5, 1.2, 1.0, 0.8, 0.6)),
    "evening": ((4, 3, 2.2, 1.6, 1.2, 1, 1.2, 2, 3, 3.6, 4, 4.2, 4.4, 4.6, 4.8, 5, 5.2, 5.5, 5.8, 6, 6, 5.6, 5.2, 4.6),
                None, (0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0),
                (0.85, 0.85, 0.9, 1.0, 1.05, 1.1, 1.15, 1.15, 1.05, 1.0, 0.95, 0.9)),
    "fireworks": ((6, 3, 1.5, 0.8, 0.4, 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2.5, 4, 7, 10, 11, 9),
                  None, (0.8, 0.8, 0.8, 0.9, 1.2, 1.6, 1.4),
                  (0.1, 0.05, 0.05, 0.1, 0.6, 4, 5, 0.6, 0.2, 0.1, 0.1, 0.3)),
    "snow": ((1, 0.8, 0.6, 0.6, 1, 2, 4, 6, 7, 7, 6.5, 6, 5.5, 5, 4.5, 4, 3.6, 3.2, 2.8, 2.4, 2, 1.6, 1.3, 1.1),
             None, (1.0,) * 7, (3, 3, 1.2, 0.05, 0, 0, 0, 0, 0, 0.01, 0.2, 1.5)),
}

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
