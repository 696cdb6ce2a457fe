"""The two NYC Open Data export layouts the synthetic history is written in.

Why here and not in the reader: the batch loader must read exactly what the city publishes, so
these tuples are the generator's copy of the published headers (tests/fixtures checks the legacy one
against a rebuild from real rows); the reader keeps its own mapping in pipeline/schema.py.
"""
from __future__ import annotations

from pipeline.synthetic.places import quote

CURRENT_COLUMNS: tuple[str, ...] = (
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type", "Descriptor",
    "Location Type", "Incident Zip", "Incident Address", "Street Name", "Cross Street 1", "Cross Street 2",
    "Intersection Street 1", "Intersection Street 2", "Address Type", "City", "Landmark", "Facility Type",
    "Status", "Due Date", "Resolution Description", "Resolution Action Updated Date", "Community Board", "BBL",
    "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)", "Open Data Channel Type",
    "Park Facility Name", "Park Borough", "Vehicle Type", "Taxi Company Borough", "Taxi Pick Up Location",
    "Bridge Highway Name", "Bridge Highway Direction", "Road Ramp", "Bridge Highway Segment", "Latitude",
    "Longitude", "Location",
)
SCHOOL_COLUMNS = (
    "School Name", "School Number", "School Region", "School Code", "School Phone Number", "School Address",
    "School City", "School State", "School Zip", "School Not Found", "School or Citywide Complaint",
)
# The pre-2018 export layout (53 columns), reconstructed from the current one: no BBL after Community
# Board, no Open Data Channel Type after the state-plane coordinates, the eleven School columns after
# Park Borough, and Garage Lot Name, Ferry Direction, Ferry Terminal Name after Bridge Highway Segment.
LEGACY_COLUMNS: tuple[str, ...] = (
    *CURRENT_COLUMNS[:24],                      # Unique Key .. Community Board
    "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)", "Park Facility Name", "Park Borough",
    *SCHOOL_COLUMNS,
    *CURRENT_COLUMNS[31:38],                    # Vehicle Type .. Bridge Highway Segment
    "Garage Lot Name", "Ferry Direction", "Ferry Terminal Name", "Latitude", "Longitude", "Location",
)
ERAS = {"current": CURRENT_COLUMNS, "legacy": LEGACY_COLUMNS}
# What old exports print in the School columns of a request that is not about a school.
LEGACY_SCHOOL_FIELDS = ",".join(["Unspecified"] * 9 + ["N", ""])
STATUSES = ("Closed", "Open", "In Progress", "Assigned", "Pending", "Started")


def header(era: str) -> str:
    return ",".join(quote(c) for c in ERAS[era]) + "\n"
