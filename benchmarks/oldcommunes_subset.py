"""Time the old-commune partition on a few new provinces and print quick quality figures."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from lib.assemble import crosswalk as cw
from lib.assemble import dataset, sources
from lib.assemble.census import match_census, read_census_2009
from lib.assemble.oldcommunes import Inputs, points_from_table, rebuild_pieces, summarise_units

S = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/sources")
PROVINCES = sys.argv[2].split(",") if len(sys.argv) > 2 else ["01"]

t = time.monotonic()
new = sources.read_new_communes(S)
new_provinces = sources.read_new_provinces(S)
old = sources.read_old_communes(S)
old_d = sources.read_old_districts(S)
nc = pd.DataFrame(
    {"code": new["code"], "full_name": new["fullName"], "type": "Xã", "province_code": new["province_code"]}
)
xw, _ = cw.build_crosswalk(sources.read_vau_pairs(S), sources.read_dvhcvn_pairs(S), old, old_d, nc, new_provinces)
gis = sources.read_gis_districts(S)
gis["code"] = gis["district_code"].map(lambda c: dataset.DISTRICT_CODE_REPAIRS.get(c, c))
census = read_census_2009(S)
m = match_census(old, census)
inputs = Inputs(
    new[["code", "geometry"]],
    xw,
    points_from_table(sources.read_commune_points(S)),
    dict(zip(gis["code"], gis.geometry.values, strict=False)),
    dict(zip(m["old_code"], census.geometry.loc[m["census_index"]].values, strict=False)),
)
print(f"inputs {time.monotonic() - t:.1f} s")
only = None if PROVINCES == ["all"] else set(new.loc[new["province_code"].isin(PROVINCES), "code"])
t, cpu = time.monotonic(), time.process_time()
pieces = rebuild_pieces(inputs, only_new=only, progress=print)
print(
    f"partition of {len(only) if only else len(new)} new communes: {time.monotonic() - t:.1f} s wall, "
    f"{time.process_time() - cpu:.1f} s CPU, {len(pieces)} pieces"
)
units = summarise_units(pieces)
print(units["method"].value_counts())
print(units["confidence"].describe())
pd.to_pickle((pieces, units, inputs), "/tmp/oldcommunes_subset.pkl")
