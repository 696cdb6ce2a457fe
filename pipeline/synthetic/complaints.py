"""The complaint types of the synthetic 311 history: agency, yearly weight, descriptors, place
types, resolution time and borough leaning of each (the rest of the calibration is in mix.py).

Why these numbers: see pipeline/synthetic/mix.py; the shared sample fixes every spelling.
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
