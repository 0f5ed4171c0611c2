"""schemas.company: the bundled registry, aliases, segment/metric mapping, extra registry files."""

from datetime import date

import pytest

from schemas.company import Registry, RegistryError

KNOWN = "0700.HK, AMZN, BABA, GOOGL, MSFT, ORCL"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load()


def test_bundled_companies(registry):
    assert sorted(registry.companies) == ["0700.HK", "AMZN", "BABA", "GOOGL", "MSFT", "ORCL"]
    baba = registry.get("BABA")
    assert (baba.name_en, baba.name_zh, baba.currency, baba.fiscal_year_end_month) == ("Alibaba", "阿里巴巴", "CNY", 3)
    assert baba.calendar.label(date(2025, 6, 30)) == "FY2026Q1"
    assert registry.get("MSFT").calendar.label(date(2025, 9, 30)) == "FY2026Q1"
    assert registry.get("AMZN").calendar.label(date(2025, 9, 30)) == "FY2025Q3"
    assert registry.get("0700.HK").currency == "CNY"
    assert registry.get("ORCL").fiscal_year_end_month == 5


@pytest.mark.parametrize(
    ("name", "company_id"),
    [
        ("BABA", "BABA"),
        ("baba", "BABA"),
        ("Alibaba", "BABA"),
        ("alibaba group", "BABA"),
        ("阿里巴巴", "BABA"),
        ("阿里巴巴集团", "BABA"),
        ("阿里巴巴集團", "BABA"),  # traditional
        ("阿里云", "BABA"),
        ("阿里雲", "BABA"),  # traditional
        ("Aliyun", "BABA"),
        ("9988.hk", "BABA"),
        ("千問", "BABA"),
        ("  AWS ", "AMZN"),
        ("amazon web services", "AMZN"),
        ("亚马逊", "AMZN"),
        ("亞馬遜", "AMZN"),
        ("Google Cloud", "GOOGL"),
        ("gcp", "GOOGL"),
        ("谷歌雲", "GOOGL"),
        ("Azure", "MSFT"),
        ("微軟", "MSFT"),
        ("Intelligent Cloud", "MSFT"),
        ("Tencent", "0700.HK"),
        ("腾讯", "0700.HK"),
        ("騰訊", "0700.HK"),
        ("0700.hk", "0700.HK"),
        ("OCI", "ORCL"),
        ("甲骨文", "ORCL"),
    ],
)
def test_get_by_id_or_alias(registry, name, company_id):
    assert registry.get(name).id == company_id


@pytest.mark.parametrize("name", ["NVDA", "Nvidia", "英伟达", "", "BABA2"])
def test_unknown_company(registry, name):
    with pytest.raises(RegistryError) as info:
        registry.get(name)
    assert str(info.value) == f"company {name!r} is not in the registry (known: {KNOWN})"


@pytest.mark.parametrize(
    ("company_id", "segment", "canonical"),
    [
        ("BABA", "Cloud Intelligence Group", "cloud"),
        ("BABA", "cloud intelligence group", "cloud"),
        ("BABA", "cloud_intelligence_group", "cloud"),
        ("BABA", "  Cloud   Intelligence  Group ", "cloud"),
        ("BABA", "Alibaba Cloud", "cloud"),
        ("BABA", "云智能集团", "cloud"),
        ("BABA", "雲智能集團", "cloud"),
        ("BABA", "cloud", "cloud"),
        ("BABA", "Total", "group"),
        ("BABA", "集團", "group"),
        ("BABA", "GROUP", "group"),
        ("AMZN", "AWS", "cloud"),
        ("AMZN", "Amazon Web Services", "cloud"),
        ("AMZN", "亚马逊云科技", "cloud"),
        ("GOOGL", "Google Cloud", "cloud"),
        ("MSFT", "Intelligent Cloud", "cloud"),
        ("MSFT", "智慧雲", "cloud"),
        ("MSFT", "Microsoft Cloud", "microsoft_cloud"),
        ("MSFT", "微软云", "microsoft_cloud"),
        ("0700.HK", "FinTech and Business Services", "cloud"),
        ("0700.HK", "金融科技及企業服務", "cloud"),
        ("ORCL", "Cloud services", "cloud"),
    ],
)
def test_segment_id(registry, company_id, segment, canonical):
    assert registry.get(company_id).segment_id(segment) == canonical


@pytest.mark.parametrize(
    ("company_id", "segment", "known"),
    [
        ("BABA", "Taobao and Tmall Group", "cloud, group"),
        ("AMZN", "Intelligent Cloud", "cloud, group"),  # another company's segment name
        ("MSFT", "AWS", "azure, cloud, group, microsoft_cloud"),
    ],
)
def test_unknown_segment(registry, company_id, segment, known):
    with pytest.raises(RegistryError) as info:
        registry.get(company_id).segment_id(segment)
    assert str(info.value) == (
        f"segment {segment!r} is not known for {company_id} (known: {known}; "
        "add a mapping in the registry file)"
    )


@pytest.mark.parametrize(
    ("company_id", "segment", "en", "zh"),
    [
        ("BABA", "cloud", "Cloud Intelligence Group", "云智能集团"),
        ("BABA", "group", "Group", "集团"),
        ("AMZN", "cloud", "AWS", "亚马逊云科技"),
        ("MSFT", "microsoft_cloud", "Microsoft Cloud", "微软云"),
        ("ORCL", "cloud", "Cloud", "Cloud"),  # no Chinese name: falls back to the first name
        ("ORCL", "group", "Group", "集团"),
        ("BABA", "international", "international", "international"),
    ],
)
def test_segment_name(registry, company_id, segment, en, zh):
    company = registry.get(company_id)
    assert company.segment_name(segment, "en") == en
    assert company.segment_name(segment, "zh") == zh


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("revenue", "revenue"),
        ("Revenues", "revenue"),
        ("Net Sales", "revenue"),
        ("营收", "revenue"),
        ("營業收入", "revenue"),
        ("Adj. EBITA", "adjusted_ebita"),
        ("经调整EBITA", "adjusted_ebita"),
        ("經調整EBITA", "adjusted_ebita"),
        ("adjusted_ebita", "adjusted_ebita"),
        ("Income from operations", "operating_income"),
        ("资本开支", "capex"),
        ("Purchases of property and equipment", "capex"),
        ("FCF", "free_cash_flow"),
        ("free cash flow", "free_cash_flow"),
        ("自由現金流", "free_cash_flow"),
    ],
)
def test_metric_id(registry, name, metric):
    assert registry.metric_id(name) == metric


def test_unknown_metric(registry):
    with pytest.raises(RegistryError) as info:
        registry.metric_id("eps")
    assert str(info.value) == (
        "metric 'eps' is not known "
        "(canonical: adjusted_ebita, capex, free_cash_flow, operating_income, revenue)"
    )


EXTRA = """
[companies.CRWV]
name_en = "CoreWeave"
name_zh = "CoreWeave公司"
aliases = ["CoreWeave Inc", "CRWV"]
[companies.CRWV.segments]
cloud = ["Cloud", "云服务"]

[companies.BABA]
name_en = "Alibaba"
name_zh = "阿里巴巴"
aliases = ["Alibaba Holdings"]
fiscal_year_end_month = 12
currency = "HKD"
[companies.BABA.segments]
cloud = ["Aliyun Intelligence"]

[metrics]
revenue = ["turnover", "营业额"]
arpu = ["ARPU", "每用户收入"]
"""


@pytest.fixture()
def extended(tmp_path) -> Registry:
    path = tmp_path / "companies.toml"
    path.write_text(EXTRA, encoding="utf-8")
    return Registry.load(path)


def test_extra_file_adds_a_company(extended):
    assert sorted(extended.companies) == ["0700.HK", "AMZN", "BABA", "CRWV", "GOOGL", "MSFT", "ORCL"]
    crwv = extended.get("coreweave inc")
    assert crwv.id == "CRWV"
    assert extended.get("CoreWeave") is crwv  # name_en is an alias
    assert (crwv.currency, crwv.fiscal_year_end_month) == ("USD", 12)  # defaults
    assert crwv.segment_id("云服务") == "cloud"
    assert extended.get("AMZN").segment_id("AWS") == "cloud"  # bundled ones untouched


def test_extra_file_replaces_a_company_with_the_same_id(extended):
    baba = extended.get("BABA")
    assert (baba.currency, baba.fiscal_year_end_month) == ("HKD", 12)
    assert baba.calendar.label(date(2025, 6, 30)) == "FY2025Q2"
    assert extended.get("Alibaba Holdings") is baba
    assert baba.segment_id("Aliyun Intelligence") == "cloud"
    # Replaced, not merged: the bundled aliases and segment names are gone.
    with pytest.raises(RegistryError, match="segment 'Cloud Intelligence Group' is not known for BABA"):
        baba.segment_id("Cloud Intelligence Group")
    with pytest.raises(RegistryError, match="company '阿里云' is not in the registry"):
        extended.get("阿里云")


def test_extra_file_overrides_and_adds_metrics(extended):
    assert extended.metric_id("turnover") == "revenue"
    assert extended.metric_id("营业额") == "revenue"
    assert extended.metric_id("每用户收入") == "arpu"
    assert extended.metric_id("capex") == "capex"
    with pytest.raises(RegistryError, match="metric 'net sales' is not known"):
        extended.metric_id("net sales")  # the revenue alias list was replaced


def test_bundled_registry_is_not_changed_by_loading_an_extra_file(extended):
    fresh = Registry.load()
    assert "CRWV" not in fresh.companies
    assert fresh.get("BABA").fiscal_year_end_month == 3
    assert fresh.metric_id("net sales") == "revenue"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "No such file or directory"),
        ("not toml [", "Expected '=' after a key"),
    ],
)
def test_unreadable_extra_file(tmp_path, content, fragment):
    path = tmp_path / "bad.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        Registry.load(path)
    assert str(info.value).startswith(f"cannot read registry file {path}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        'name_en = "X"\nname_zh = "x"\nfiscal_year_end_month = 13\n',
        'name_en = "X"\n',  # name_zh missing
    ],
)
def test_malformed_company_is_a_registry_error(tmp_path, body):
    path = tmp_path / "bad.toml"
    path.write_text("[companies.X]\n" + body, encoding="utf-8")
    with pytest.raises(RegistryError):
        Registry.load(path)


def test_chinese_name_is_an_alias_like_the_english_name(registry):
    assert registry.get("谷歌母公司Alphabet").id == "GOOGL"
