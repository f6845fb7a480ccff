#!/usr/bin/env python
"""Draw the approximate/illustrative layers: parks, planting areas and plots.

None of these geometries is surveyed. Parks and planting areas are
``approximate`` where both their place and their size are reported, else
``illustrative`` (placed where reported, sized by us; or a placeholder); plots
are ``illustrative`` (invented to exercise the idle-land and intensity
calculations). See geodata/README.md.

Every shape is built in the equal-area CRS (metres) from a centre, a vertex
count and a fixed list of radius factors, scaled to an exact target area, then
projected to WGS84 and written with qygeo.layers.write_layer, so re-running the
script gives byte-identical files.

Usage::

    python geodata/tools/build_drawn_layers.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.affinity import rotate
from shapely.geometry import MultiPolygon, Polygon

from qygeo.io.crs import EQUAL_AREA_CRS, WGS84
from qygeo.io.layers import PARKS, PLANTING, PLOTS, write_layer

GEODATA = Path(__file__).resolve().parent.parent
MU_M2 = 10000 / 15

TO_EA = Transformer.from_crs(WGS84, EQUAL_AREA_CRS, always_xy=True)

PAPER = "Chen et al. 2025 (DOI 10.31579/2690-4861/978, CC BY 4.0)"

# Radius factors (deterministic "irregularity"); a shape with n vertices uses the first n.
WOBBLE = (1.00, 0.82, 1.12, 0.91, 1.05, 0.78, 1.15, 0.88, 0.97, 1.08, 0.85, 1.02)


def blob(lon: float, lat: float, area_m2: float, n: int = 9, *, stretch: float = 1.0,
         angle: float = 0.0, phase: int = 0) -> Polygon:
    """Irregular n-gon of exactly *area_m2* centred at lon/lat, in EQUAL_AREA_CRS metres."""
    cx, cy = TO_EA.transform(lon, lat)
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        r = WOBBLE[(i + phase) % len(WOBBLE)]
        pts.append((cx + r * math.cos(t) * stretch, cy + r * math.sin(t) / stretch))
    poly = Polygon(pts)
    poly = rotate(poly, angle, origin=(cx, cy))
    k = math.sqrt(area_m2 / poly.area)
    return shapely.affinity.scale(poly, k, k, origin=(cx, cy))


def to_frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=EQUAL_AREA_CRS).to_crs(WGS84)


# --------------------------------------------------------------------------- parks

#: Guangfo is drawn at its published phase-2 extent (Qingyuan Daily, 2020-03).
GUANGFO_KM2 = 25.9
#: Huachuang Zhihui Gu's land, about 134 mu (Guangdong government report of the Q2 2024 signing).
HUACHUANG_MU = 134

PARK_DEFS = [
    # id, zh, en, adcode, kind, parent, (lon, lat), km², n, stretch, angle, notes, extra source
    ("qingyuan_hitech", "清远高新技术产业开发区", "Qingyuan High-tech Industrial Development Zone",
     "441802", "high_tech_zone", None, (113.150, 23.655), 25.0, 10, 1.3, 20,
     "Placed at the Baijia/Longtang (百嘉/龙塘) industrial area east of the city centre, where "
     "the zone's parks are reported; sized 25 km² as a plausible built-up extent (planned area not "
     "confirmed). Not the statutory boundary.",
     "§3.2.1 (core cluster, nearly 50 enterprises), §3.2.2"),
    ("guangqing", "广清产业园", "Guangqing Industrial Park", "441802", "industrial_park", None,
     (113.045, 23.565), 20.0, 9, 1.4, -15,
     "Placed in Shijiao town (石角镇), Qingcheng, near the expressway entrance (§5.2); "
     "drawn 20 km². "
     "The wider Guangqing Special Economic Cooperation Zone is reported at 112.5 km² and a new "
     "37 km² Konggang (空港新城) section in Yuantan was added in 2026 (Southern Daily, 2026-01-14, "
     "via reportify.cn); neither boundary is drawn here.",
     "§5.2 (Haorui Pharmaceutical), §6.3.1"),
    ("guangfo", "广佛（佛冈）产业园", "Guangfo (Fogang) Industrial Park", "441821",
     "industrial_park", None, (113.470, 23.815), GUANGFO_KM2, 11, 1.25, 35,
     "Placed over Tangtang town (汤塘镇). Drawn at the published phase-2 extent, 25.9 km² "
     "(Qingyuan Daily, 2020-03, via kcqsx.com: phase 1 11.2 km² in Tangtang, phase 2 "
     "expanding to 25.9 km², planned construction land 8.4 km², planned 76.9 km² including the "
     "51 km² Shijiao cluster). Phase 2 is chosen as the park's gross extent of the paper's years: "
     "8.4 km² is land within the park, not its outline, and 76.9 km² is a plan including another "
     "cluster. None of the published extents reproduces the paper's ~280 million yuan/km² "
     "(§3.2.2) from its 28 billion yuan (§4.2.3): that needs 100 km²; see "
     "attributes/park_areas.csv.",
     "§3.2.1, §3.2.2 (~280 million yuan/km²), §4.2.3 (148 projects, >28 billion yuan); "
     "Qingyuan Daily 2020-03 (kcqsx.com copy): Tangtang town, 8.4 / 11.2 / 25.9 / 76.9 km²"),
    ("huachuang_zhihuigu", "华创智汇谷", "Huachuang Zhihui Gu", "441821", "specialised_park",
     "guangfo", (113.452, 23.822), HUACHUANG_MU * MU_M2 / 1e6, 8, 1.1, 0,
     "Specialised biomedical park within Guangfo (§3.2.2, where the paper spells it 'Huacun'; "
     "the Guangdong government's report of the 2024-06-24 Q2 signing at Guangfo gives 华创智汇谷, "
     "about 134 mu of land and 180,000 m² of floor area). Exact site not found: drawn at 134 mu "
     "inside the Guangfo polygon.",
     "§3.2.2 (planned: total investment 600 million yuan, over 30 manufacturers, expected "
     "output over 3 billion yuan); Guangdong government report of the 2024-06-24 Q2 signing "
     "at Guangfo (134 mu, 180,000 m² floor area)"),
    ("qingxin_nanyao", "清新南药产业园", "Qingxin South Medicine Industrial Park", "441803",
     "medicine_park", None, (112.985, 23.790), 4.0, 8, 1.2, 10,
     "Processing park of Qingxin's South-medicine chain (§3.2.1, §6.4.1 'South medicine intensive "
     "processing park'); site not found, placed north-west of the Taihe (太和镇) district seat, "
     "drawn 4 km².",
     "§3.2.1, §5.3, §6.4.1"),
    ("liannan_yaoyao", "连南瑶医药产业园", "Liannan Yao Medicine Industrial Park", "441826",
     "medicine_park", None, (112.283, 24.688), 2.0, 8, 1.0, -20,
     "Placed just south-west of Sanjiang town (三江镇, county seat of Liannan; the town itself "
     "lies on the Lianzhou border); site not found, drawn 2 km².",
     "§3.1.1, §3.2.1, §5.3"),
    ("yingde_herbs", "英德药材资源基地", "Yingde medicinal-resource base", "441881",
     "resource_base", None, (113.300, 24.290), 10.0, 9, 1.3, 25,
     "The paper only says Yingde develops characteristic medicinal resources (§3.2.1); no site "
     "found and no park named. Drawn 10 km² north-west of the city centre as an illustrative "
     "placeholder.",
     "§3.2.1"),
    ("lianzhou_herbs", "连州药材资源基地", "Lianzhou medicinal-resource base", "441882",
     "resource_base", None, (112.430, 24.850), 8.0, 9, 1.2, -30,
     "The paper only says Lianzhou develops characteristic medicinal resources (§3.2.1); no site "
     "found and no park named. Drawn 8 km² north of Lianzhou town as an illustrative placeholder.",
     "§3.2.1"),
]


#: ``approximate`` is a reported place *and size* (geodata/README.md). Guangfo (25.9 km²,
#: Qingyuan Daily) and Huachuang (134 mu, Guangdong government) have both; the others are
#: illustrative: Yingde and Lianzhou have no park named at all, and the High-tech Zone,
#: Guangqing, Qingxin and Liannan are placed where reported but sized by us, so their
#: per-km² figures rest on an invented area.
ILLUSTRATIVE_PARKS = ("qingyuan_hitech", "guangqing", "qingxin_nanyao", "liannan_yaoyao",
                      "yingde_herbs", "lianzhou_herbs")


def build_parks() -> tuple[gpd.GeoDataFrame, dict[str, Polygon]]:
    rows, geoms, ea = [], [], {}
    for (pid, zh, en, adcode, kind, parent, (lon, lat), km2, n, stretch, angle, notes,
         src) in PARK_DEFS:
        g = blob(lon, lat, km2 * 1e6, n, stretch=stretch, angle=angle, phase=len(pid))
        ea[pid] = g
        quality = "illustrative" if pid in ILLUSTRATIVE_PARKS else "approximate"
        rows.append({
            "park_id": pid, "name_zh": zh, "name_en": en, "district_adcode": adcode,
            "kind": kind, "parent_park_id": parent,
            "source": f"{PAPER}, {src}; geometry drawn by qygeo ({quality})",
            "boundary_quality": quality,
            "notes": notes + f" Area {km2:.4g} km² (equal-area).",
            "source_file": None, "source_sha256": None, "added_on": None,
        })
        geoms.append(g)
    return to_frame(rows, geoms), ea


# --------------------------------------------------------------------------- planting

QINGXIN_FIELDS = [  # lon, lat, share of the 57,500 mu
    (112.880, 23.985, 0.30), (112.950, 24.030, 0.22), (112.820, 23.900, 0.20),
    (113.020, 23.930, 0.16), (112.900, 23.830, 0.12),
]
LIANNAN_FIELDS = [(112.345, 24.600, 0.6), (112.250, 24.650, 0.4)]
QINGXIN_MU = 57_500
LIANNAN_MU = 3_000


def build_planting() -> gpd.GeoDataFrame:
    def fields(defs, total_mu, n0):
        parts = [blob(lon, lat, total_mu * share * MU_M2, 7 + i % 3, stretch=1.3,
                      angle=17 * i, phase=n0 + i)
                 for i, (lon, lat, share) in enumerate(defs)]
        return MultiPolygon(parts)

    rows = [
        {"planting_id": "qingxin_nanyao_planting", "name_zh": "清新区南药种植区",
         "name_en": "Qingxin South-medicine planting area", "district_adcode": "441803",
         "park_id": "qingxin_nanyao",
         "crops": "57 South-medicine varieties incl. the paper's 'garma/kwaime' and "
                  "'yudzi/yuzhi' (romanised; Chinese names not given) (§3.1.2, §5.3)",
         "source": f"{PAPER}, §5.3 (57,500 mu in 2024), §3.1.1 (48,200 mu with Liannan); "
                   "geometry drawn by qygeo (approximate)",
         "boundary_quality": "approximate",
         "notes": "Five illustrative fields in the hills of northern Qingxin, together sized to "
                  "57,500 mu (38.33 km²; 1 mu = 10000/15 m²). Real field locations unknown. "
                  "The paper's two planting figures disagree; see "
                  "attributes/planting_figures.csv."},
        {"planting_id": "liannan_yaoyao_planting", "name_zh": "连南瑶药种植区",
         "name_en": "Liannan Yao-medicine planting area", "district_adcode": "441826",
         "park_id": "liannan_yaoyao",
         "crops": "Yao medicinal herbs (species not given in the paper)",
         "source": f"{PAPER}, §3.1.1, §5.3; size not reported separately; geometry drawn by "
                   "qygeo (illustrative: placeholder size)",
         "boundary_quality": "illustrative",
         "notes": "Two illustrative fields near Zhaigang/Sanjiang, sized 3,000 mu (2.0 km²) in "
                  "total: the paper gives no Liannan-only figure, so this size is a placeholder."},
    ]
    geoms = [fields(QINGXIN_FIELDS, QINGXIN_MU, 0), fields(LIANNAN_FIELDS, LIANNAN_MU, 5)]
    return to_frame(rows, geoms)


# --------------------------------------------------------------------------- plots

ILL = "illustrative; not from the paper"


def P(plot_id, park, project, enterprise, ha, *, land_use="industrial", contract=None,
      agreed=None, actual=None, suspended=None, cause=None, agreed_inv=None, invested=None,
      dev_share=None, far=None, price_per_m2=450.0, output=None, tax=None, source=ILL,
      notes="", place=None):
    return dict(plot_id=plot_id, park_id=park, project=project, enterprise=enterprise, ha=ha,
                land_use=land_use, contract_date=contract, agreed_start_date=agreed,
                actual_start_date=actual, suspended_since=suspended, delay_cause=cause,
                agreed_investment_yuan=agreed_inv, invested_yuan=invested, dev_share=dev_share,
                far=far, price_per_m2=price_per_m2, output_yuan=output, tax_yuan=tax,
                source=source, notes=notes, place=place)


XX_SRC = (f"{PAPER}, §4.2.3 ('6 project plots of Xiangxue and Bendi are idle'); dates, money and "
          "geometry illustrative; not from the paper")
XX_NOTE = ("One of the six idle Xiangxue/Bendi plots of §4.2.3. Xiangxue = 香雪制药 (Guangzhou "
           "Xiangxue Pharmaceutical); the split 3+3, dates, sizes and sums are invented.")
BD_NOTE = ("One of the six idle Xiangxue/Bendi plots of §4.2.3. 'Bendi' is kept as the paper "
           "romanises it: the Chinese name is unknown (it may render 本地 'local', i.e. "
           "'Xiangxue and local projects'). The 3+3 split, dates, sizes and sums are invented.")

PLOT_DEFS = [
    # ---- Guangfo: six idle Xiangxue / Bendi plots
    P("GF-XX-01", "guangfo", "香雪制药 Fogang production base, plot 1", "香雪制药", 6.0,
      contract="2020-06-18", agreed="2021-03-01", agreed_inv=450e6, invested=12e6,
      dev_share=0.0, far=0.0, source=XX_SRC, notes=XX_NOTE + " Not started."),
    P("GF-XX-02", "guangfo", "香雪制药 Fogang production base, plot 2", "香雪制药", 4.5,
      contract="2020-06-18", agreed="2021-03-01", agreed_inv=320e6, invested=8e6,
      dev_share=0.0, far=0.0, source=XX_SRC, notes=XX_NOTE + " Not started."),
    P("GF-XX-03", "guangfo", "香雪制药 Fogang production base, plot 3", "香雪制药", 5.0,
      contract="2020-06-18", agreed="2021-06-01", actual="2021-09-15", suspended="2022-07-01",
      agreed_inv=380e6, invested=40e6, dev_share=0.15, far=0.12, source=XX_SRC,
      notes=XX_NOTE + " Started, then suspended with <1/3 developed and <25% invested."),
    P("GF-BD-01", "guangfo", "Bendi project, plot 1", "Bendi (romanisation as in the paper)", 3.0,
      contract="2021-04-20", agreed="2022-03-01", agreed_inv=180e6, invested=5e6,
      dev_share=0.0, far=0.0, source=XX_SRC, notes=BD_NOTE + " Not started."),
    P("GF-BD-02", "guangfo", "Bendi project, plot 2", "Bendi (romanisation as in the paper)", 2.5,
      contract="2021-04-20", agreed="2022-03-01", actual="2022-05-10", suspended="2023-03-01",
      agreed_inv=150e6, invested=30e6, dev_share=0.20, far=0.15, source=XX_SRC,
      notes=BD_NOTE + " Started, suspended with 20% developed and 20% invested."),
    P("GF-BD-03", "guangfo", "Bendi project, plot 3", "Bendi (romanisation as in the paper)", 2.0,
      contract="2022-08-30", agreed="2023-01-15", agreed_inv=120e6, invested=0.0,
      dev_share=0.0, far=0.0, source=XX_SRC, notes=BD_NOTE + " Not started."),
    # ---- Guangfo: other plots
    P("GF-P-01", "guangfo", "Medical consumables plant (illustrative)",
      "示例医疗器械企业A (illustrative)", 4.0, contract="2019-11-05", agreed="2020-06-01",
      actual="2020-05-20", agreed_inv=300e6, invested=320e6, dev_share=1.0, far=1.6,
      output=420e6, tax=18e6, notes="Producing since 2022."),
    P("GF-P-02", "guangfo", "Biomedical R&D and manufacturing building (illustrative)",
      "示例生物医药企业B (illustrative)", 3.5, contract="2020-09-10", agreed="2021-04-01",
      actual="2021-03-15", agreed_inv=260e6, invested=250e6, dev_share=1.0, far=1.8,
      output=310e6, tax=12e6, notes="Producing since 2023."),
    P("GF-P-03", "guangfo", "Diagnostic reagents plant (illustrative)",
      "示例体外诊断企业C (illustrative)", 2.0, contract="2022-12-01", agreed="2023-06-01",
      actual="2023-05-28", agreed_inv=150e6, invested=90e6, dev_share=0.7, far=1.0,
      notes="Under construction."),
    P("GF-P-04", "guangfo", "Medical-device park phase I (illustrative)",
      "示例医疗器械企业D (illustrative)", 6.5, contract="2023-06-25", agreed="2024-03-01",
      actual="2024-02-20", agreed_inv=500e6, invested=140e6, dev_share=0.35, far=0.5,
      notes="Under construction."),
    P("GF-P-05", "guangfo", "Pharmaceutical packaging plant (illustrative)",
      "示例包装材料企业E (illustrative)", 1.5, contract="2024-06-25", agreed="2025-03-01",
      actual="2025-02-18", agreed_inv=80e6, invested=15e6, dev_share=0.1, far=0.0,
      notes="Started 2025; early works. Contract dated at the Q2 2024 signing ceremony "
            "(reference 10 of the paper) for illustration only."),
    P("GF-P-06", "guangfo", "Cold-chain pharmaceutical logistics (illustrative)",
      "示例医药物流企业F (illustrative)", 5.0, land_use="logistics", contract="2021-01-15",
      agreed="2021-09-01", actual="2021-08-20", agreed_inv=200e6, invested=210e6,
      dev_share=1.0, far=1.2, output=150e6, tax=6e6, notes="Operating."),
    P("GF-G-01", "guangfo", "Biomedical incubator plot (illustrative)",
      "示例生物医药企业G (illustrative)", 3.0, contract="2022-05-10", agreed="2023-03-01",
      cause="government", agreed_inv=220e6, invested=6e6, dev_share=0.0, far=0.0,
      notes="Not started >1 year after the agreed date, but delayed by the government (land "
            "handover/planning change): idle land all the same (Order No. 53 Art. 8: "
            "disposed of under Arts. 12-13, without the idle-land fee or uncompensated "
            "recovery)."),
    P("GF-J-01", None, "Medical-dressing plant (illustrative, park not given)",
      "示例医用敷料企业H (illustrative)", 2.0, contract="2021-10-12", agreed="2022-05-01",
      actual="2022-04-25", agreed_inv=110e6, invested=115e6, dev_share=1.0, far=1.4,
      output=160e6, tax=5e6, place="guangfo",
      notes="park_id deliberately left empty: the plot lies inside the Guangfo polygon so a "
            "spatial join assigns it to guangfo."),
    # ---- Guangqing
    P("GQ-HR-01", "guangqing", "Haorui Pharmaceutical global production base",
      "浩瑞制药 Haorui Pharmaceutical (Guangzhou Green Cross subsidiary)", 5.5,
      contract="2021-12-31", agreed="2022-06-01", actual="2023-02-01", agreed_inv=600e6,
      invested=520e6, dev_share=1.0, far=1.5, output=None, tax=None,
      source=f"{PAPER}, §5.2 (signed 2021, production December 2024, <2 years from "
             "commencement to production); exact dates, sums and geometry illustrative; "
             "not from the paper",
      notes="Contract year and production start (2024-12) are from §5.2; the day-level dates, "
            "area and money are invented. In production since December 2024; output not "
            "reported, left empty. Chinese full name not verified."),
    P("GQ-P-01", "guangqing", "Pharmaceutical intermediates plant (illustrative)",
      "示例原料药企业I (illustrative)", 4.0, contract="2020-03-18", agreed="2020-10-01",
      actual="2020-09-25", agreed_inv=280e6, invested=300e6, dev_share=1.0, far=1.3,
      output=380e6, tax=15e6, notes="Producing."),
    P("GQ-P-02", "guangqing", "Excipients plant (illustrative)", "示例辅料企业J (illustrative)",
      3.0, contract="2022-04-06", agreed="2022-12-01", actual="2022-11-20", agreed_inv=180e6,
      invested=170e6, dev_share=1.0, far=1.1, output=120e6, tax=4e6, notes="Producing."),
    P("GQ-P-03", "guangqing", "Medical-device assembly (illustrative)",
      "示例医疗器械企业K (illustrative)", 2.5, contract="2023-08-15", agreed="2024-04-01",
      actual="2024-03-28", agreed_inv=160e6, invested=70e6, dev_share=0.45, far=0.6,
      notes="Under construction."),
    P("GQ-P-04", "guangqing", "Veterinary drugs plant (illustrative)",
      "示例兽药企业L (illustrative)", 1.5, contract="2019-07-01", agreed="2020-01-15",
      actual="2020-01-10", agreed_inv=90e6, invested=95e6, dev_share=1.0, far=1.0,
      output=85e6, tax=3e6, notes="Producing."),
    # ---- Qingyuan High-tech Zone
    P("QH-JB-01", "qingyuan_hitech", "Jiabo Pharmaceutical injectables plant",
      "嘉博制药 Guangdong Jiabo Pharmaceutical", 7.5, contract="2003-05-01", agreed="2004-01-01",
      actual="2004-01-01", agreed_inv=500e6, invested=650e6, dev_share=1.0, far=1.2,
      output=350e6, tax=None,
      source=f"{PAPER}, §5.1 (founded 2003; 2024 revenue nearly 350 million yuan, used as "
             "output_yuan); dates, area, investment and geometry illustrative; not from the paper",
      notes="Jiabo's actual site and land figures were not found; the plot is drawn in the "
            "High-tech Zone. output_yuan = the paper's 2024 revenue."),
    P("QH-P-01", "qingyuan_hitech", "Stem-cell laboratory building (illustrative)",
      "示例干细胞企业M (illustrative)", 2.0, contract="2019-04-01", agreed="2019-10-01",
      actual="2019-09-20", agreed_inv=150e6, invested=160e6, dev_share=1.0, far=2.0,
      output=90e6, tax=4e6, notes="Producing."),
    P("QH-P-02", "qingyuan_hitech", "Chemical generics plant (illustrative)",
      "示例化学药企业N (illustrative)", 4.0, contract="2018-09-12", agreed="2019-03-01",
      actual="2019-02-28", agreed_inv=260e6, invested=270e6, dev_share=1.0, far=1.3,
      output=280e6, tax=11e6, notes="Producing."),
    P("QH-P-03", "qingyuan_hitech", "Medical consumables plant (illustrative)",
      "示例医用耗材企业O (illustrative)", 3.0, contract="2023-11-20", agreed="2024-06-01",
      actual="2024-05-30", agreed_inv=200e6, invested=60e6, dev_share=0.3, far=0.3,
      notes="Under construction."),
    # ---- Huachuang Zhihui Gu (within Guangfo; 134 mu in all)
    P("HC-01", "huachuang_zhihuigu",
      "Huachuang Zhihui Gu standard factory block A (illustrative)",
      "示例园区运营商P (illustrative)", 1.0, contract="2023-03-15", agreed="2023-09-01",
      actual="2023-08-28", agreed_inv=250e6, invested=180e6, dev_share=0.8, far=2.5,
      notes="Multi-storey standard factories (§6.2.3 idea); under construction."),
    P("HC-02", "huachuang_zhihuigu",
      "Huachuang Zhihui Gu standard factory block B (illustrative)",
      "示例园区运营商P (illustrative)", 0.8, contract="2023-03-15", agreed="2024-03-01",
      actual="2024-02-25", agreed_inv=200e6, invested=70e6, dev_share=0.4, far=1.0,
      notes="Under construction."),
    P("HC-03", "huachuang_zhihuigu", "Biomedical SME plot (illustrative)",
      "示例生物医药企业Q (illustrative)", 0.5, contract="2024-09-24", agreed="2025-06-01",
      agreed_inv=60e6, invested=0.0, dev_share=0.0, far=0.0,
      notes="Signed, not yet due to start."),
]


def rect(cx: float, cy: float, area_m2: float, aspect: float, angle: float) -> Polygon:
    w = math.sqrt(area_m2 * aspect)
    h = area_m2 / w
    poly = Polygon([(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2),
                    (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)])
    return rotate(poly, angle, origin=(cx, cy))


#: park -> the parks drawn inside it.
NESTED = {"guangfo": ("huachuang_zhihuigu",)}


def build_plots(parks_ea: dict[str, Polygon]) -> gpd.GeoDataFrame:
    placed: list[Polygon] = []
    rows, geoms = [], []
    # Spiral search for a free spot inside the park, deterministic.
    for i, d in enumerate(PLOT_DEFS):
        park = d["place"] or d["park_id"]
        host = parks_ea[park]
        # A park's own plots keep out of the parks nested in it.
        avoid = [parks_ea[c] for c in NESTED.get(park, ())]
        c = host.centroid
        area = d["ha"] * 1e4
        aspect = 1.0 + 0.15 * (i % 4)
        angle = (i * 13) % 30
        geom = None
        small = host.area < 1e6  # a finer search and narrower margins in a small park
        step, margin = (12.0, 10.0) if small else (120.0, 30.0)
        for k in range(4000):
            r = step * math.sqrt(k)
            t = k * 2.399963  # golden angle
            g = rect(c.x + r * math.cos(t), c.y + r * math.sin(t), area, aspect, angle)
            if not host.buffer(-margin).contains(g):
                continue
            if any(g.buffer(margin * 2 / 3).intersects(o) for o in placed + avoid):
                continue
            geom = g
            break
        if geom is None:
            sys.exit(f"could not place {d['plot_id']} in {park}")
        placed.append(geom)
        dev = None if d["dev_share"] is None else round(area * d["dev_share"])
        floor = None if d["far"] is None else round(area * d["far"])
        rows.append({
            "plot_id": d["plot_id"], "park_id": d["park_id"], "project": d["project"],
            "enterprise": d["enterprise"], "land_use": d["land_use"],
            "contract_date": d["contract_date"], "agreed_start_date": d["agreed_start_date"],
            "actual_start_date": d["actual_start_date"], "suspended_since": d["suspended_since"],
            "delay_cause": d["delay_cause"],
            "agreed_investment_yuan": d["agreed_investment_yuan"],
            "invested_yuan": d["invested_yuan"], "developed_area_m2": dev,
            "floor_area_m2": floor, "land_price_yuan": round(area * d["price_per_m2"]),
            "output_yuan": d["output_yuan"], "tax_yuan": d["tax_yuan"],
            "source": d["source"], "boundary_quality": "illustrative",
            "notes": (d["notes"] + f" Plot {d['ha']:g} ha; geometry illustrative.").strip(),
        })
        geoms.append(geom)
    gdf = to_frame(rows, geoms)
    return gdf[[*PLOTS.columns, "geometry"]]


def main() -> int:
    parks, parks_ea = build_parks()
    write_layer(parks, GEODATA / "parks.geojson", PARKS)
    print(f"wrote parks.geojson ({len(parks)} parks)")
    planting = build_planting()
    write_layer(planting, GEODATA / "planting.geojson", PLANTING)
    print(f"wrote planting.geojson ({len(planting)} planting areas)")
    plots = build_plots(parks_ea)
    write_layer(plots, GEODATA / "plots.geojson", PLOTS)
    print(f"wrote plots.geojson ({len(plots)} plots)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
