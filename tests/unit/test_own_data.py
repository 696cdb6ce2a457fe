"""The product carries its own data: nothing under app/, pipeline/ or scripts/ (nor the Makefile and
Procfile) names the team's shared folder, every data file the code names exists in the repo, and the
community-district populations give per-resident rates for every district of the map layer."""
from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.read import population
from pipeline.settings import DATA_DIR, ROOT

PRODUCT = ("app", "pipeline", "scripts")
# A path into ../shared in any spelling the code could use: a relative or absolute path, or a path
# built from parts ("shared" as its own string literal, as in ROOT.parent / "shared" / "data").
SHARED = re.compile(r"""\.\./shared|/work/shared|shared/data|["']shared["']""")


def product_files() -> list[Path]:
    files = [p for d in PRODUCT for p in (ROOT / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [*files, ROOT / "Makefile", ROOT / "Procfile"]


def test_no_product_file_reads_the_shared_folder():
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
            for p in product_files() if p.suffix not in (".pyc",)
            for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if SHARED.search(line)]
    assert not hits, "product files name the shared folder:\n" + "\n".join(hits)


def test_the_check_catches_each_spelling():
    for line in ('SOURCE = ROOT.parent / "shared" / "data"', "sample=../shared/data/x.csv",
                 'open("/work/shared/data/x.csv")'):
        assert SHARED.search(line), line


def test_data_files_are_in_the_repo_with_their_sources():
    readme = (DATA_DIR / "README.md").read_text()
    for f in DATA_DIR.iterdir():
        if f.name != "README.md":
            assert f"`{f.name}`" in readme, f"data/README.md does not name the source of {f.name}"
    from pipeline.synthetic import places as sp
    for path in (sp.ZIP_GEOJSON, sp.CD_GEOJSON, sp.MODZCTA_GEOJSON, sp.SAMPLE_CSV, population.DISTRICT_CSV):
        assert path.is_file() and path.parent == DATA_DIR, path


def test_every_community_district_of_the_map_has_residents():
    pop = population.population("community_district")
    assert len(pop) == 59 and sum(pop.values()) == 8_803_220  # data/README.md checks
    layer = json.loads((ROOT / "assets" / "geo" / "community_districts.geojson").read_text())["features"]
    districts = {f["properties"]["id"] for f in layer}
    residential = {d for d in districts if int(d) % 100 < 26}  # x26 and up: parks and airports
    assert residential == set(pop)
    assert pop["109"] == 110_458  # Manhattan CD 9, as published
