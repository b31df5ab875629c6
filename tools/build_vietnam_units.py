"""Build sipas/data/vietnam_units.json.gz from the `vietnam-provinces` package.

The package (GPL-3.0-or-later, compatible with SIPAS's AGPL-3.0-or-later) carries the
official list of the General Statistics Office (danhmuchanhchinh.nso.gov.vn) since
1/7/2025, the list before it and the official old→new conversion table. Its releases
with the old list and the table need Python 3.12, so SIPAS keeps a copy of their data.

    python3.12 -m pip install --target /tmp/vp 'vietnam-provinces==2026.2.3'
    PYTHONPATH=/tmp/vp python3 tools/build_vietnam_units.py

(Python 3.11 imports the package too: ``pip download`` the wheel and unzip it.)
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import vietnam_provinces as vp
from vietnam_provinces import _lookup as new
from vietnam_provinces import _ward_conversion_2025 as conversion
from vietnam_provinces.legacy import _lookup as old

TARGET = Path(__file__).parent.parent / "sipas" / "data" / "vietnam_units.json.gz"


def build() -> dict:
    """The lists as plain rows: codes are ints, types the Vietnamese words."""
    return {
        "source": "vietnam-provinces",
        "version": vp.__version__,
        "data_version": vp.__data_version__,
        "effective": conversion.EFFECTIVE_DATE,
        "provinces": [
            [p.code.value, p.name, p.division_type.value]
            for p in new.PROVINCE_MAPPING.values()
        ],
        "communes": [
            [w.code.value, w.name, w.division_type.value, w.province_code.value]
            for w in new.WARD_MAPPING.values()
        ],
        "old_provinces": [
            [p.code.value, p.name, p.division_type.value]
            for p in old.PROVINCE_MAPPING.values()
        ],
        "old_districts": [
            [d.code.value, d.name, d.division_type.value, d.province_code.value]
            for d in old.DISTRICT_MAPPING.values()
        ],
        # the new communes each old one went to, in the table's order
        "old_communes": [
            [
                w.code.value,
                w.name,
                w.division_type.value,
                w.district_code.value,
                [n.code for n in conversion.OLD_TO_NEW[w.code.value].new_wards]
                if w.code.value in conversion.OLD_TO_NEW
                else [],
            ]
            for w in old.WARD_MAPPING.values()
        ],
    }


if __name__ == "__main__":
    data = json.dumps(build(), ensure_ascii=False, separators=(",", ":"))
    TARGET.write_bytes(gzip.compress(data.encode(), mtime=0))
    sys.stdout.write(f"{TARGET}: {TARGET.stat().st_size} bytes\n")
