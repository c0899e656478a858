"""Invariants of the ukraine-us-drone-deal records, as plain pytest over the tables.

In the manner of glenglat's tests/test_data.py: each test states one thing a
user of the data can rely on, checked over every row, plus a few facts asserted
by value so that a wrong edit to a key record cannot pass unnoticed.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
from pathlib import Path

import polars as pl
import pytest
import yaml

from factpack.validation.rules.context import normalise

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "datasets" / "ukraine-us-drone-deal"
ARTICLE = "vnnow-ukraine-proposes-drone-deal"
META = yaml.safe_load((DATASET / "dataset.yaml").read_text(encoding="utf-8"))


def _load() -> dict[str, pl.DataFrame]:
    return {name: pl.read_csv(DATASET / "data" / f"{name}.csv", infer_schema=False)
            for name in META["resources"]}


T = _load()


def rows(name: str) -> list[dict]:
    return T[name].to_dicts()


def by_id(name: str) -> dict[str, dict]:
    return {r["id"]: r for r in rows(name)}


def archived(source_id: str) -> str | None:
    """Normalised archived text of a source, or None when it has none."""
    path = by_id("sources")[source_id]["archive_path"]
    return normalise((REPO / path).read_text(encoding="utf-8")) if path else None


def earliest(date: str) -> str:
    return (date + "-01-01")[:10] if len(date) == 4 else (date + "-01")[:10]


def latest(date: str) -> str:
    if len(date) == 4:
        return date + "-12-31"
    if len(date) == 7:
        year, month = int(date[:4]), int(date[5:7])
        return f"{date}-{calendar.monthrange(year, month)[1]:02d}"
    return date


ASSERTION_TABLES = [n for n in META["resources"] if "evidence" in T[n].columns]


# --------------------------------------------------------------------------- structure


def test_every_table_has_rows_and_header_matches_schema():
    for name, df in T.items():
        schema = yaml.safe_load((REPO / "schemas" / f"{name}.yaml").read_text(encoding="utf-8"))
        assert df.columns == [f["name"] for f in schema["fields"]], name
        assert df.height > 0, name


def test_every_field_is_titled_and_described():
    for name in T:
        schema = yaml.safe_load((REPO / "schemas" / f"{name}.yaml").read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://datapackage.org/profiles/2.0/tableschema.json"
        assert schema["primaryKey"] and schema["missingValues"] == [""]
        for f in schema["fields"]:
            assert f.get("title") and len(f.get("description", "")) > 20, (name, f["name"])


def test_files_are_utf8_lf_without_bom():
    for name in T:
        raw = (DATASET / "data" / f"{name}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw, name
        raw.decode("utf-8")


def test_article_is_archived_with_its_hash():
    article = by_id("sources")[ARTICLE]
    assert article["archive_path"] == "seeds/000_1e3a56c540d28343.txt"
    digest = hashlib.sha256((REPO / article["archive_path"]).read_bytes()).hexdigest()
    assert article["archive_sha256"] == digest == (
        "54a2e872650edfaf2d460d91266ef2973b49a6844fc737bf90a19b2b0379ba08")
    # Facts from the fact sheet are cited as their own sources, with no archived text.
    assert [s for s in rows("sources") if s["archive_path"]] == [article]


# --------------------------------------------------------------------------- true to the source


@pytest.mark.parametrize("table", ASSERTION_TABLES)
def test_every_evidence_is_in_its_archived_source(table):
    for r in rows(table):
        text = archived(r["source_id"])
        if text is not None:
            assert r["evidence"], (table, r)
            assert normalise(r["evidence"]) in text, (table, r["evidence"])


def test_every_direct_quote_is_in_its_seed():
    quotes = [r for r in rows("statements") if r["mode"] == "direct-quote"]
    checked = 0
    for r in quotes:
        text = archived(r["source_id"])
        if text is not None:
            assert normalise(r["text"]) in text, r["id"]
            checked += 1
    # Only the 24 July quote: "We are ready to share our experience…" is the article's
    # re-translation, a paraphrase since 1.1.0.
    assert checked == 1


def test_every_value_text_is_in_its_seed():
    for r in rows("figures"):
        text = archived(r["source_id"])
        if text is not None:
            assert r["value_text"] and normalise(r["value_text"]) in text, r["id"]


def test_every_line_of_the_article_is_a_record():
    """Completeness: each line of the article contains the evidence of some record."""
    evidence = {normalise(r["evidence"]) for t in ASSERTION_TABLES for r in rows(t)
                if r["evidence"] and r["source_id"] == ARTICLE}
    seed = (REPO / by_id("sources")[ARTICLE]["archive_path"]).read_text(encoding="utf-8")
    for line in seed.splitlines():
        if line.strip() in ("", "![]() |"):  # image markup, no assertion
            continue
        assert any(e in normalise(line) for e in evidence), line


# --------------------------------------------------------------------------- cross-table


def test_every_actor_in_a_statement_exists():
    actors = set(by_id("actors"))
    assert {r["speaker_id"] for r in rows("statements")} <= actors
    assert {r["actor_id"] for r in rows("statement_mentions")} <= actors
    assert {r["statement_id"] for r in rows("statement_mentions")} <= set(by_id("statements"))


def test_every_actor_has_a_name_and_every_named_actor_exists():
    named = {r["actor_id"] for r in rows("actor_names")}
    assert named == set(by_id("actors"))


def test_every_role_has_its_dates_in_order():
    for r in rows("roles"):
        if r["start_on"] and r["end_on"]:
            assert earliest(r["start_on"]) <= latest(r["end_on"]), r["id"]


def test_said_before_reported():
    for r in rows("statements"):
        if r["said_on"] and r["reported_on"]:
            assert earliest(r["said_on"]) <= latest(r["reported_on"]), r["id"]


def test_speakers_hold_a_post_when_they_speak():
    roles = rows("roles")
    for s in rows("statements"):
        theirs = [r for r in roles if r["actor_id"] == s["speaker_id"]]
        if not theirs or not s["said_on"] or s["notes"] is None:
            continue
        assert any((not r["start_on"] or earliest(r["start_on"]) <= latest(s["said_on"]))
                   and (not r["end_on"] or latest(r["end_on"]) >= earliest(s["said_on"]))
                   for r in theirs), s["id"]


def test_no_draft_and_every_disputed_row_says_why():
    for name in T:
        if "review_status" not in T[name].columns:
            continue
        for r in rows(name):
            assert r["review_status"] in ("checked", "disputed"), (name, r)
            if r["review_status"] == "disputed":
                assert r.get("notes") and "PV" in r["notes"], (name, r)


def test_figures_are_whole_units_in_order():
    for r in rows("figures"):
        low, value, high = (int(r[c]) if r[c] else None for c in ("value_low", "value", "value_high"))
        if low is not None and high is not None:
            assert low <= high
        if value is not None:
            assert (low is None or low <= value) and (high is None or value <= high)
        assert (r["currency"] is not None) == (r["quantity"] == "money"), r["id"]


def test_every_discrepancy_record_holds_the_verified_value():
    for d in rows("discrepancies"):
        record = by_id(d["resource"])[d["record_id"]]
        assert record[d["field"]] == d["verified_value"] != d["reported_value"]
        assert normalise(d["reported_value"]) in archived(d["source_id"])


def test_wikidata_only_where_verified():
    verified = {"volodymyr-zelensky": "Q3874799", "donald-trump": "Q22686", "ukraine": "Q212",
                "united-states": "Q30", "russia": "Q159", "china": "Q148", "germany": "Q183",
                "denmark": "Q35", "norway": "Q20"}
    assert {a["id"]: a["wikidata"] for a in rows("actors") if a["wikidata"]} == verified


# --------------------------------------------------------------------------- facts by value


def test_the_10_20_30_billion_figure():
    f = by_id("figures")["drone-deal-10-20-30-billion-usd"]
    assert (f["quantity"], f["currency"], f["value_low"], f["value_high"], f["value"]) == (
        "money", "USD", "10000000000", "30000000000", None)
    assert (f["qualifier"], f["value_text"], f["stage"], f["as_of"]) == (
        "options", "10-20-30 billion USD", "claimed", "2025-07-24")
    assert f["deal_id"] == "ukraine-us-drone-deal"
    quote = by_id("statements")[f["statement_id"]]
    assert quote["mode"] == "direct-quote" and "10-20-30 billion USD" in quote["text"]
    assert (quote["said_on"], quote["reported_on"]) == ("2025-07-24", "2025-07-25")


def test_later_figures_each_have_their_own_source_and_are_checked_only_with_two_reports():
    later = [f for f in rows("figures") if f["as_of"] > "2025-07-24"]
    assert {(f["as_of"], f["quantity"], f["value"]) for f in later} == {
        ("2025-08-19", "money", "50000000000"), ("2025-08-20", "money", "50000000000"),
        ("2025-08-20", "years", "5"), ("2025-08-20", "units-per-year", "10000000")}
    assert all(f["source_id"] != ARTICLE and f["stage"] == "proposed" for f in later)
    # 20 August 2025: two reports (RBC-Ukraine, Reuters/Interfax), checked; the FT document is PV.
    assert {f["as_of"]: f["review_status"] for f in later} == {"2025-08-19": "disputed", "2025-08-20": "checked"}


def test_executive_order_14307_corrected():
    eo = by_id("policies")["eo-14307-unleashing-american-drone-dominance"]
    assert (eo["identifier"], eo["title"], eo["signed_on"], eo["published_on"], eo["citation"],
            eo["issuer_id"]) == ("EO 14307", "Unleashing American Drone Dominance", "2025-06-06",
                                 "2025-06-11", "90 FR 24727", "donald-trump")
    kept = {d["field"]: d for d in rows("discrepancies") if d["record_id"] == eo["id"]}
    assert {f: d["reported_value"] for f, d in kept.items()} == {
        "title": "Building American Drone Dominance",
        "summary": "expedite licensing for drone manufacturers"}
    # The summary says what the order directs, and nothing about licensing manufacturers.
    assert kept["summary"]["verified_value"] == eo["summary"] and "licens" not in eo["summary"]
    for part in ("beyond-visual-line-of-sight", "waivers", "supply chain", "export", "approved-drone list"):
        assert part in eo["summary"], part
    # "In June" is all the article says: the statement keeps the month.
    assert by_id("statements")["trump-signs-drone-executive-order-2025-06"]["said_on"] == "2025-06"
    assert {p["identifier"] for p in rows("policies")} >= {"EO 14307", "EO 14305"}


def test_16_july_remarks_are_the_new_york_posts():
    interview = by_id("sources")["nypost-zelensky-interview-2025-07-16"]
    assert interview["publisher"] == "New York Post" and interview["kind"] == "interview"
    july16 = [s for s in rows("statements") if s["said_on"] == "2025-07-16"]
    assert len(july16) == 5 and all(s["origin_source_id"] == interview["id"] for s in july16)
    # Conducted on 16 July 2025, published (so first reported) on 17 July 2025.
    assert interview["published_on"] == "2025-07-17"
    assert {s["reported_on"] for s in july16} == {"2025-07-17"}
    assert any(d["record_id"] == interview["id"] and d["reported_value"] == "Newsmax"
               for d in rows("discrepancies"))


def test_posts_with_dates_and_legal_basis():
    roles = by_id("roles")
    assert (roles["umerov-nsdc-secretary"]["start_on"], roles["umerov-nsdc-secretary"]["basis"]) == (
        "2025-07-18", "Presidential Decree No. 496/2025")
    shmyhal = roles["shmyhal-minister-of-defence"]
    assert (shmyhal["start_on"], shmyhal["basis"], shmyhal["review_status"]) == (
        "2025-07-17", "Verkhovna Rada vote (267 votes)", "checked")
    assert (roles["shmyhal-prime-minister"]["start_on"], roles["shmyhal-prime-minister"]["end_on"]) == (
        "2020-03-04", "2025-07-16")
    kamyshin = roles["kamyshin-adviser-to-the-president"]
    assert (kamyshin["start_on"], kamyshin["basis"]) == ("2024-09-08", "Presidential Decree No. 623/2024")
    assert roles["trump-president-of-the-united-states-2025"]["start_on"] == "2025-01-20"
    # Sworn in on 25 January 2025: verified since 1.1.0 (KYMA; AP).
    assert roles["hegseth-us-secretary-of-defense"]["review_status"] == "checked"
    assert roles["hegseth-us-secretary-of-defense"]["source_id"] == "kyma-2025-01-25-hegseth-sworn-in"


def test_contract_team_tasked_by_zelensky():
    team = {(p["actor_id"], p["assigned_by_id"], p["since_on"]) for p in rows("deal_parties")
            if p["deal_id"] == "ukraine-us-drone-deal" and p["assigned_by_id"]}
    assert team == {(a, "volodymyr-zelensky", "2025-07-24")
                    for a in ("rustem-umerov", "denys-shmyhal", "oleksandr-kamyshin")}


def test_photo_credit_and_spellings():
    credits = {(c["actor_id"], c["relation"]) for c in rows("source_credits")}
    assert ("telegraph", "photo-credit") in credits
    assert {("rbc-ukraine", "credits"), ("ukrainska-pravda", "credits"), ("newsmax", "credits")} <= credits
    names = {(n["actor_id"], n["name"]) for n in rows("actor_names")}
    assert {("volodymyr-zelensky", "Zelenskyy"), ("volodymyr-zelensky", "Зеленський"),
            ("oleksandr-kamyshin", "Kamyshyn"), ("rustem-umerov", "Умєров"),
            ("denys-shmyhal", "Shmygal"), ("denys-shmyhal", "Шмигаль")} <= names


def test_us_no_comment_is_undated_and_disputed():
    s = by_id("statements")["us-no-comment-on-drone-agreement"]
    assert (s["mode"], s["speaker_id"], s["said_on"], s["review_status"]) == (
        "no-comment", "united-states", None, "disputed")


# --------------------------------------------------------------------------- facts by value (review)


FACT_SHEET_URLS = {
    "https://vnnow.net/en/world/ukraine-proposes-multi-billion-dollar-drone-deal-to-the-us-109764.html",
    "https://en.interfax.com.ua/news/general/1090715.html",
    "https://www.govinfo.gov/content/pkg/FR-2025-06-11/html/2025-10814.htm",
    "https://www.govinfo.gov/content/pkg/FR-2025-06-11/html/2025-10803.htm",
    "https://www.newsmax.com/newsfront/pete-hegseth-pentagon-drones/2025/07/10/id/1218383/",
    "https://www.pravda.com.ua/eng/news/2025/07/17/7522223/",
    # given by the second audit and "What happened next" (1.1.0)
    "https://www.straitstimes.com/world/europe/ukraines-zelensky-says-he-and-trump-are-considering-a-drone-mega-deal",
    "https://newsfinale.com/us/trump-and-zelensky-talk-potential-drone-mega-deal-for-us-to-acquire-combat-ready-ukrainian-uavs",
    "https://ussanews.com/2025/07/17/zelensky-us-ukraine-close-on-megadeal-swap-of-drones-for-weapons",
    "https://fun.my.ua/uk/news/cluster/2025-07-25-ssha-kupuvatimut-ukrayinski-droni-zelenskii-anonsuvav-ugodu-na-10-30-mlrd-dolariv",
    "https://menafn.com/1109819556/Ukraine-Planning-To-Sign-Drone-Deal-With-US-PM-Svyrydenko-Says",
    "https://kyma.com/decision-2024/national-politics/2025/01/25/pete-hegseth-sworn-in-as-secretary-of-defense/",
    "https://news.liga.net/en/politics/news/rada-dismisses-ministers-shmyhal-and-fedorov-from-their-posts",
    "https://unn.ua/en/news/rada-dismissed-denys-shmyhal-from-the-post-of-minister-of-defense",
    "https://en.interfax.com.ua/news/general/1136300.html",
    "https://www.rbc.ua/rus/news/milyoni-droniv-shchoroku-zelenskiy-rozkriv-1755759199.html",
    "https://businessinsider.com.pl/wiadomosci/wolodymyr-zelenski-ujawnia-plan-drone-deal-to-jego-oferta-dla-usa-na-po-wojnie/3lkf28e",
    "https://www.tportal.hr/vijesti/clanak/cijena-mira-objavljena-ukrajinska-ponuda-americi-za-sigurnosna-jamstva-foto-20250819",
    "https://unn.ua/en/news/ukraine-and-the-us-held-talks-on-an-agreement-for-the-purchase-and-production-of-drones",
    "https://www.the-independent.com/bulletin/news/trump-zelensky-meeting-tomahawk-missile-drone-b2847639.html",
    "https://www.rferl.org/a/ukraine-us-russia-zelenskyy-trump-putin-tomahawk/33562819.html",
    "https://censor.net/en/news/3583107/zelenskyy-announces-arrival-of-u-s-team-to-f",
    "https://www.newsmax.com/politics/white-house-ukraine-drone-interceptor/2026/03/10/id/1248942/",
    "https://japantoday.com/category/world/zelenskyy-says-ukraine-awaits-white-house-sign-off-on-us-drone-production-deal",
    "https://unn.ua/en/news/ukraine-expects-us-approval-of-major-drone-production-deal-zelenskyy",
    "https://unn.ua/en/news/zelenskyy-explains-why-the-ukraine-us-drone-deal-has-not-yet-been-concluded",
}


def test_urls_only_as_the_fact_sheet_gives_them():
    """No invented addresses: every URL is one the fact sheet gives, and each of those is used."""
    urls = [s["url"] for s in rows("sources") if s["url"]]
    assert set(urls) == FACT_SHEET_URLS and len(urls) == len(set(urls))
    assert {p["url"] for p in rows("policies") if p["url"]} <= FACT_SHEET_URLS


def test_every_fact_sheet_spelling_with_language_and_kind():
    names = {(n["actor_id"], n["name"]): (n["language"], n["kind"]) for n in rows("actor_names")}
    expected = {
        ("volodymyr-zelensky", "Zelensky"): ("en", "as-reported"),
        ("volodymyr-zelensky", "Zelenskyy"): ("en", "transliteration"),
        ("volodymyr-zelensky", "Зеленський"): ("uk", "official"),
        ("oleksandr-kamyshin", "Kamyshin"): ("en", "as-reported"),
        ("oleksandr-kamyshin", "Kamyshyn"): ("en", "transliteration"),
        ("rustem-umerov", "Umerov"): ("en", "as-reported"),
        ("rustem-umerov", "Умєров"): ("uk", "official"),
        ("denys-shmyhal", "Shmyhal"): ("en", "as-reported"),
        ("denys-shmyhal", "Shmygal"): ("en", "transliteration"),
        ("denys-shmyhal", "Шмигаль"): ("uk", "official"),
    }
    assert {k: names.get(k) for k in expected} == expected


def test_the_ukrainian_original_of_the_quote():
    uk = by_id("statements")["zelensky-quote-10-20-30-billion-2025-07-24-uk"]
    assert (uk["mode"], uk["language"], uk["said_on"], uk["reported_on"]) == (
        "direct-quote", "uk", "2025-07-24", "2025-07-25")
    # Quoted exactly as fun.my.ua prints it: the two sentences back to back, no inserted "…".
    assert uk["text"] == ("Вони будуть цим займатися. Дуже важливо підготувати цей договір, "
                          "серйозний договір на 10-20-30 мільярдів доларів")
    assert "…" not in uk["text"] and "..." not in uk["text"]
    # The fact sheet gives the two sentences apart: the punctuation joining them is flagged.
    assert "not verified" in uk["notes"]
    source = by_id("sources")[uk["source_id"]]
    assert (source["id"], source["language"]) == ("fun-my-ua-2025-07-25", "uk") and source["url"]
    # Verbatim in its source wherever that source is archived (fun.my.ua is not, yet).
    if archived(uk["source_id"]) is not None:
        assert normalise(uk["text"]) in archived(uk["source_id"])


def test_24_july_remarks_said_and_reported_apart():
    for sid in ("zelensky-announces-drone-agreement-2025-07-24",
                "zelensky-tasks-contract-team-2025-07-24",
                "zelensky-quote-10-20-30-billion-2025-07-24"):
        s = by_id("statements")[sid]
        assert (s["said_on"], s["reported_on"], s["setting"]) == (
            "2025-07-24", "2025-07-25", "meeting-with-journalists"), sid


def test_umerov_and_shmyhal_tenures_at_the_precision_given():
    roles = by_id("roles")
    umerov = roles["umerov-minister-of-defence"]
    assert (umerov["start_on"], umerov["end_on"], umerov["basis"]) == ("2023-09", "2025-07", None)
    shmyhal = roles["shmyhal-minister-of-defence"]
    # Dismissed by the Verkhovna Rada on 13 January 2026: verified since 1.1.0, so the day is given.
    assert shmyhal["end_on"] == "2026-01-13"
    # The end date is not from the July 2025 report the row cites: the notes name its sources.
    for sid in ("liga-net-shmyhal-fedorov-dismissed", "unn-shmyhal-dismissed-minister-of-defense",
                "interfax-ukraine-1136300"):
        assert sid in shmyhal["notes"] and sid in by_id("sources"), sid
    # Who succeeded him is not in the fact sheet, so no source's notes assert it.
    assert not any("Fedorov being appointed" in (s["notes"] or "") or "Fedorov's appointment" in (s["notes"] or "")
                   for s in rows("sources"))
    assert roles["hegseth-us-secretary-of-defense"]["start_on"] == "2025-01-25"


def test_companion_order_and_hegseth_memo():
    policies = by_id("policies")
    eo = policies["eo-14305-restoring-american-airspace-sovereignty"]
    assert (eo["kind"], eo["identifier"], eo["title"], eo["citation"], eo["signed_on"],
            eo["issuer_id"]) == ("executive-order", "EO 14305", "Restoring American Airspace Sovereignty",
                                 "90 FR 24719", "2025-06-06", "donald-trump")
    memo = policies["hegseth-memo-unleashing-us-military-drone-dominance"]
    assert (memo["kind"], memo["title"], memo["signed_on"], memo["issuer_id"], memo["source_id"]) == (
        "memorandum", "Unleashing U.S. Military Drone Dominance", "2025-07-10", "pete-hegseth",
        "newsmax-2025-07-10-hegseth-drones")


def test_later_figures_cite_the_fact_sheet_sources():
    later = {f["id"]: f["source_id"] for f in rows("figures") if f["as_of"] > "2025-07-24"}
    assert later == {
        "drone-deal-50-billion-usd-2025-08-19": "tportal-hr-20250819",
        "drone-deal-50-billion-usd-over-5-years-2025-08-21": "rbc-ukraine-1755759199",
        "drone-deal-5-years-2025-08-21": "rbc-ukraine-1755759199",
        "drone-deal-10-million-drones-a-year-2025-08-21": "rbc-ukraine-1755759199",
    }


def test_the_articles_errors_are_both_kept():
    kept = {(d["resource"], d["record_id"], d["field"], d["reported_value"], d["verified_value"],
             d["verified_source_id"]) for d in rows("discrepancies")}
    assert kept == {
        ("policies", "eo-14307-unleashing-american-drone-dominance", "title",
         "Building American Drone Dominance", "Unleashing American Drone Dominance",
         "govinfo-fr-doc-2025-10814"),
        ("sources", "nypost-zelensky-interview-2025-07-16", "publisher", "Newsmax", "New York Post",
         "straits-times-2025-07"),
        ("policies", "eo-14307-unleashing-american-drone-dominance", "summary",
         "expedite licensing for drone manufacturers",
         by_id("policies")["eo-14307-unleashing-american-drone-dominance"]["summary"],
         "govinfo-fr-doc-2025-10814"),
        ("statements", "zelensky-ready-to-share-experience-2025-07-16", "mode",
         '"We are ready to share our experience with the US and European partners," he said',
         "paraphrase", "straits-times-2025-07"),
    }
    assert all(d["source_id"] == ARTICLE for d in rows("discrepancies"))


# --------------------------------------------------------------------------- second audit (1.1.0)


def test_drones_key_to_defence_is_from_the_16_july_interview():
    s = by_id("statements")["zelensky-drones-key-to-defence"]
    assert (s["said_on"], s["reported_on"], s["setting"], s["origin_source_id"]) == (
        "2025-07-16", "2025-07-17", "interview", "nypost-zelensky-interview-2025-07-16")


def test_share_experience_is_a_paraphrase_and_the_interviews_words_a_quote():
    statements = by_id("statements")
    article = statements["zelensky-ready-to-share-experience-2025-07-16"]
    assert article["mode"] == "paraphrase" and article["source_id"] == ARTICLE
    own = statements["zelensky-will-be-ready-to-share-experience-2025-07-16"]
    assert (own["mode"], own["text"], own["source_id"], own["origin_source_id"]) == (
        "direct-quote", "We will be ready to share this experience with America and other European partners",
        "straits-times-2025-07", "nypost-zelensky-interview-2025-07-16")
    assert (own["said_on"], own["reported_on"]) == (article["said_on"], article["reported_on"])
    # The interview's English words are not the article's: the article does not print them.
    assert normalise(own["text"]) not in archived(ARTICLE)


def test_us_lags_claim_comes_from_the_new_york_post_article():
    s = by_id("statements")["us-lags-russia-and-china-in-drones"]
    assert (s["origin_source_id"], s["reported_on"]) == ("nypost-zelensky-interview-2025-07-16", "2025-07-17")
    # When the unnamed officials and experts spoke is not known: no invented date.
    assert s["said_on"] is None and s["speaker_id"] == "us-military-officials-and-drone-experts"


AUGUST_20 = ("drone-deal-50-billion-usd-over-5-years-2025-08-21", "drone-deal-5-years-2025-08-21",
             "drone-deal-10-million-drones-a-year-2025-08-21")


def test_august_figures_are_zelenskys_proposal_of_20_august():
    statement = by_id("statements")["zelensky-drone-deal-proposed-for-production-2025-08-20"]
    assert (statement["speaker_id"], statement["said_on"], statement["reported_on"], statement["setting"],
            statement["review_status"]) == (
        "volodymyr-zelensky", "2025-08-20", "2025-08-21", "meeting-with-journalists", "checked")
    assert "proposed" in statement["text"] and "production" in statement["text"]
    for fid in AUGUST_20:
        f = by_id("figures")[fid]
        # The ids keep the report date they were released with; the figure is as of the day said.
        assert (f["statement_id"], f["as_of"], f["stage"]) == (statement["id"], "2025-08-20", "proposed"), fid
        assert "unclear whether" in f["notes"] and "drone-deal-10-20-30-billion-usd" in f["notes"], fid


def test_august_figures_are_never_summed_with_the_10_30_billion_figure():
    money = [f for f in rows("figures") if f["deal_id"] == "ukraine-us-drone-deal" and f["quantity"] == "money"]
    july = by_id("figures")["drone-deal-10-20-30-billion-usd"]
    assert july["stage"] == "claimed"
    assert all(f["stage"] != july["stage"] for f in money if f["id"] != july["id"])
    # No figure holds a total of two others (10 + 50, 30 + 50, 50 + 50 billion…).
    values = {f["id"]: [int(f[c]) for c in ("value_low", "value", "value_high") if f[c]] for f in money}
    sums = {a + b for i in values for j in values if i < j for a in values[i] for b in values[j]}
    assert not sums & {v for vs in values.values() for v in vs}
    # The verbatim text of the July figure is kept as the article prints it.
    assert july["value_text"] == "10-20-30 billion USD"


def test_the_deal_was_first_reported_on_18_july_by_svyrydenko():
    deal = by_id("deals")["ukraine-us-drone-deal"]
    assert deal["first_reported_on"] == "2025-07-18"
    said = by_id("statements")["svyrydenko-plans-drone-deal-2025-07-18"]
    assert (said["speaker_id"], said["said_on"], said["reported_on"], said["deal_id"], said["source_id"]) == (
        "yulia-svyrydenko", "2025-07-18", "2025-07-18", "ukraine-us-drone-deal", "menafn-1109819556")
    # No statement about the deal was reported before it was first reported.
    about = [s["reported_on"] for s in rows("statements") if s["deal_id"] == deal["id"] and s["reported_on"]]
    assert min(earliest(d) for d in about) == deal["first_reported_on"]
    # She is a new actor with her post on the day.
    assert by_id("actors")["yulia-svyrydenko"]["kind"] == "person"
    role = by_id("roles")["svyrydenko-prime-minister"]
    assert (role["actor_id"], role["title"], role["organisation_id"]) == (
        "yulia-svyrydenko", "Prime Minister of Ukraine", "ukraine")


def test_shmyhals_posts_follow_each_other_without_overlap():
    posts = sorted((r for r in rows("roles") if r["actor_id"] == "denys-shmyhal"),
                   key=lambda r: earliest(r["start_on"]))
    assert [(r["id"], r["start_on"], r["end_on"]) for r in posts] == [
        ("shmyhal-prime-minister", "2020-03-04", "2025-07-16"),
        ("shmyhal-minister-of-defence", "2025-07-17", "2026-01-13"),
        ("shmyhal-first-deputy-prime-minister-and-minister-of-energy", "2026-01-14", None),
    ]
    for before, after in itertools.pairwise(posts):
        assert latest(before["end_on"]) < earliest(after["start_on"]), (before["id"], after["id"])
    assert posts[-1]["basis"] == "Verkhovna Rada vote (248 votes)"
    assert all(r["review_status"] == "checked" for r in posts)
    assert "Minister of Energy from 14 January 2026" in by_id("actors")["denys-shmyhal"]["description"]


# --------------------------------------------------------------------------- what happened next (1.1.0)


def test_deal_status_follows_the_latest_fact():
    deals, history = by_id("deals"), rows("deal_status_history")
    assert deals["ukraine-us-drone-deal"]["status"] == "under-negotiation"
    for deal_id, deal in deals.items():
        theirs = [h for h in history if h["deal_id"] == deal_id]
        assert theirs, deal_id
        assert [h["as_of"] for h in theirs] == sorted(h["as_of"] for h in theirs), deal_id
        assert theirs[-1]["status"] == deal["status"], deal_id
    latest_fact = [h for h in history if h["deal_id"] == "ukraine-us-drone-deal"][-1]
    assert (latest_fact["as_of"], latest_fact["review_status"]) == ("2026-03-12", "checked")
    unsigned = by_id("statements")[latest_fact["statement_id"]]
    assert (unsigned["speaker_id"], unsigned["mode"], unsigned["said_on"], unsigned["text"]) == (
        "volodymyr-zelensky", "direct-quote", "2026-03-12",
        "We have not yet had the opportunity to sign this document")
    # Nothing says it was signed or cancelled.
    assert not {h["status"] for h in history} & {"signed", "cancelled"}


def test_status_history_rows_agree_with_their_statements():
    statements = by_id("statements")
    for h in rows("deal_status_history"):
        if h["statement_id"]:
            s = statements[h["statement_id"]]
            assert s["deal_id"] == h["deal_id"] and s["said_on"] == h["as_of"], h["id"]
        if h["review_status"] == "checked" and h["statement_id"]:
            assert statements[h["statement_id"]]["review_status"] == "checked", h["id"]
    # No status was reported before the deal was first reported, and the first report is the
    # earliest one. A status is reported when its statement is, where that date is recorded
    # (as_of is the day the words were said, which may be earlier: the mega deal, said on
    # 16 July and published on 17 July 2025); otherwise as_of stands for it.
    def reported(h):
        return (h["statement_id"] and statements[h["statement_id"]]["reported_on"]) or h["as_of"]
    for deal_id, deal in by_id("deals").items():
        theirs = [h for h in rows("deal_status_history") if h["deal_id"] == deal_id]
        assert min(earliest(reported(h)) for h in theirs) == earliest(deal["first_reported_on"]), deal_id
        assert all(earliest(h["as_of"]) <= earliest(reported(h)) for h in theirs), deal_id


def test_the_mega_deal_was_first_reported_when_the_interview_was_published():
    mega = by_id("deals")["ukraine-us-mega-deal"]
    interview = by_id("sources")["nypost-zelensky-interview-2025-07-16"]
    assert mega["first_reported_on"] == interview["published_on"] == "2025-07-17"
    status = by_id("deal_status_history")["ukraine-us-mega-deal-proposed-2025-07-16"]
    assert (status["as_of"], status["status"]) == ("2025-07-16", "proposed")
    # The drone deal's first report is Svyrydenko's, a day later: the interview spoke of the mega deal.
    assert by_id("deals")["ukraine-us-drone-deal"]["first_reported_on"] == "2025-07-18"
    assert "ukraine-us-mega-deal" in by_id("deals")["ukraine-us-drone-deal"]["notes"]


def test_first_us_comment_ends_the_no_comment():
    trump = by_id("statements")["trump-would-buy-ukrainian-drones-2025-10-17"]
    assert (trump["speaker_id"], trump["mode"], trump["said_on"], trump["review_status"]) == (
        "donald-trump", "direct-quote", "2025-10-17", "checked")
    assert trump["text"].startswith("We are – yeah, we would.")
    no_comment = by_id("statements")["us-no-comment-on-drone-agreement"]
    assert trump["id"] in no_comment["notes"]
    # No US voice on the deal is dated before Trump's comment.
    us = {"donald-trump", "pete-hegseth", "united-states", "us-department-of-defense", "white-house", "anna-kelly"}
    earlier = [s["id"] for s in rows("statements") if s["speaker_id"] in us and s["deal_id"] and s["said_on"]
               and s["mode"] != "no-comment" and earliest(s["said_on"]) < "2025-10-17"]
    assert earlier == []


def test_single_report_and_weak_outlet_claims_are_disputed_or_left_out():
    single = {"unn-ukraine-us-drone-talks", "censor-net-3583107", "newsmax-2026-03-10-drone-interceptor",
              "unn-why-drone-deal-not-concluded"}
    for table in ("statements", "deal_status_history", "roles"):
        for r in rows(table):
            if r["source_id"] in single:
                assert r["review_status"] == "disputed", (table, r["id"])
    statements = by_id("statements")
    assert statements["axios-us-dismissed-drone-offer-2026-03"]["speaker_id"] == "axios"
    assert statements["kelly-rebuts-axios-report-2026-03"]["speaker_id"] == "anna-kelly"
    # A remark found only on weak outlets stays out.
    assert not any("last person" in (s["text"] + (s["notes"] or "")) for s in rows("statements"))


def test_what_happened_next_dates():
    statements = by_id("statements")
    assert statements["zelensky-us-drone-deal-team-to-come-2025-11-03"]["said_on"] == "2025-11-03"
    assert statements["axios-us-dismissed-drone-offer-2026-03"]["reported_on"] == "2026-03-10"
    talks = by_id("deal_status_history")["ukraine-us-drone-deal-under-negotiation-2025-09-29"]
    assert (talks["as_of"], talks["status"], talks["statement_id"]) == ("2025-09-29", "under-negotiation", None)
    # Undated in the sources: no date invented.
    assert statements["zelensky-no-bilateral-drone-deal-face-the-nation"]["said_on"] is None


def test_statements_link_to_the_policy_they_are_about():
    links = {(r["statement_id"], r["policy_id"]) for r in rows("statement_policies")}
    assert ("trump-signs-drone-executive-order-2025-06", "eo-14307-unleashing-american-drone-dominance") in links
    assert {s for s, _ in links} <= set(by_id("statements")) and {p for _, p in links} <= set(by_id("policies"))
    # Hegseth's "new policies" are unnamed: no link to his memo is asserted.
    assert not any(s == "hegseth-acknowledges-drone-gap" for s, _ in links)


def test_version_has_its_changelog_entry_and_created_is_from_the_data():
    changelog = (DATASET / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [line.split()[1] for line in changelog.splitlines() if line.startswith("## ")]
    assert headings[0] == META["version"] == "1.1.0"
    # created is when the dataset was first committed, not when a version was made.
    assert META["created"] == "2026-11-24T02:01:06Z"
    assert META["resources"][-2:] == ["deal_status_history", "statement_policies"]
