"""Fixed vocabularies of the demo generator: parks, industry groups, words for names and scopes.

Everything here is data, chosen by hand; ``docs/demo-data.md`` lists it with the reasons.
Every industry code is checked against GB/T 4754-2017 when the generator starts
(:func:`check_vocabulary`), so a typo fails loudly instead of writing an unknown code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from zonebrain.core.industry import gbt4754

ZONE_DIVISION: Final = "410172"
"""郑州高新技术产业开发区."""


@dataclass(frozen=True)
class Park:
    code: str
    """9-digit township code."""
    full: str
    short: str
    weight: float


PARKS: Final = (
    Park("410172561", "梧桐街道", "梧桐", 0.35),
    Park("410172160", "石佛镇", "石佛", 0.25),
    Park("410172560", "枫杨街道", "枫杨", 0.20),
    Park("410172562", "双桥街道", "双桥", 0.12),
    Park("410172360", "沟赵乡", "沟赵", 0.08),
)
"""The five township-level units of the zone with the share of firms registered in each."""

PARK_SPELLINGS: Final = (("short", 0.40), ("full", 0.45), ("code", 0.15))
"""How the 所属园区 cell is written: short name, full name or the 9-digit code."""


def park_lookup() -> dict[str, str]:
    """Every spelling the generator writes for a park → its 9-digit code."""
    out: dict[str, str] = {}
    for p in PARKS:
        out[p.code] = p.code
        out[p.full] = p.code
        out[p.short] = p.code
    return out


@dataclass(frozen=True)
class Group:
    """One industry group of the zone (or the long tail of ordinary firms)."""

    key: str
    name_zh: str
    name_en: str
    share: float
    """Share of the zone's enterprises."""
    codes: tuple[tuple[str, float], ...]
    """GB/T 4754-2017 classes with relative weights inside the group."""
    words: tuple[str, ...]
    """Industry words for company names."""
    suffixes: tuple[str, ...]
    phrases: tuple[str, ...]
    """Specific business-scope phrases (products and activities)."""
    generic: tuple[str, ...]
    """Generic scope phrases appended after the specific ones."""
    rd: tuple[float, float]
    """Range of R&D expense as a share of revenue (uniform per firm)."""
    size_mu: float
    """Median revenue in 万元 of a mature firm (log-normal location)."""
    growth: float
    """Mean yearly log growth of revenue."""
    revenue_per_head: float
    """万元 of revenue per employee (median)."""
    tech: bool
    """Counts as a technology industry (高新技术企业 and 科技型中小企业 likely)."""


_TECH_GENERIC: Final = (
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "软件开发",
    "软件销售",
    "电子产品销售",
    "计算机系统服务",
    "信息系统集成服务",
    "货物进出口",
    "技术进出口",
    "工程和技术研究和试验发展",
)
_MFG_GENERIC: Final = (
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "机械设备销售",
    "电子元器件销售",
    "五金产品批发",
    "金属材料销售",
    "货物进出口",
    "技术进出口",
    "普通机械设备安装服务",
)
_SERVICE_GENERIC: Final = (
    "企业管理咨询",
    "信息咨询服务（不含许可类信息咨询服务）",
    "办公用品销售",
    "日用百货销售",
    "会议及展览服务",
    "市场营销策划",
    "广告设计、代理",
    "礼仪服务",
    "五金产品零售",
)

GROUPS: Final = (
    Group(
        "sensor",
        "智能传感器",
        "intelligent sensors",
        0.10,
        (
            ("3983", 30),
            ("4028", 8),
            ("4021", 6),
            ("4014", 6),
            ("4011", 6),
            ("4016", 4),
            ("4019", 4),
            ("4029", 5),
            ("4012", 3),
            ("4013", 3),
            ("4015", 2),
            ("4022", 2),
            ("3973", 4),
            ("6520", 8),
            ("3972", 3),
            ("3976", 3),
            ("3981", 2),
            ("3982", 3),
            ("3989", 2),
            ("3562", 2),
            ("4090", 2),
        ),
        ("传感", "感知", "微电子", "测控", "仪器仪表", "芯片", "电子"),
        ("科技有限公司", "技术有限公司"),
        (
            "MEMS传感器、压力传感器的研发、生产与销售",
            "气体传感器、湿度传感器的研发、制造",
            "智能仪器仪表制造",
            "环境监测专用仪器仪表制造",
            "电子测量仪器销售",
            "集成电路芯片设计及服务",
            "集成电路芯片及产品制造",
            "敏感元件及传感器销售",
            "工业自动控制系统装置制造",
            "物联网设备制造",
            "光电子器件制造",
            "实验分析仪器销售",
            "智能仪表销售",
            "电子元器件制造",
            "半导体分立器件销售",
        ),
        _MFG_GENERIC,
        (0.06, 0.12),
        500.0,
        0.10,
        60.0,
        True,
    ),
    Group(
        "cyber",
        "网络安全",
        "cybersecurity",
        0.14,
        (
            ("6513", 30),
            ("6511", 4),
            ("6512", 4),
            ("6519", 8),
            ("6531", 18),
            ("6532", 6),
            ("6540", 6),
            ("6560", 12),
            ("6440", 6),
            ("3915", 3),
            ("6599", 3),
        ),
        ("信息", "网络", "网安", "信息安全", "软件", "数据安全", "信息技术"),
        ("科技有限公司", "技术有限公司"),
        (
            "网络与信息安全软件开发",
            "信息安全设备制造",
            "信息安全设备销售",
            "网络安全等级保护测评咨询服务",
            "数据安全技术服务",
            "安全技术防范系统设计施工服务",
            "信息系统运行维护服务",
            "网络技术服务",
            "商用密码产品销售",
            "互联网安全服务",
            "计算机软硬件及辅助设备零售",
            "数据处理和存储支持服务",
            "应用软件开发",
            "信息技术咨询服务",
            "物联网技术服务",
        ),
        _TECH_GENERIC,
        (0.08, 0.15),
        280.0,
        0.14,
        35.0,
        True,
    ),
    Group(
        "beidou",
        "北斗与空间信息",
        "BeiDou navigation and spatial information",
        0.04,
        (
            ("4023", 25),
            ("3940", 10),
            ("6571", 20),
            ("7441", 15),
            ("7449", 10),
            ("3962", 8),
            ("3963", 8),
            ("6339", 4),
        ),
        ("导航", "时空信息", "空间信息", "测绘", "遥感", "卫星应用", "定位"),
        ("科技有限公司", "技术有限公司"),
        (
            "卫星导航服务",
            "卫星导航多模增强应用服务系统集成",
            "导航终端制造",
            "导航终端销售",
            "地理遥感信息服务",
            "遥感测绘服务",
            "测绘服务",
            "雷达及配套设备制造",
            "智能车载设备制造",
            "智能无人飞行器制造",
            "卫星技术综合应用系统集成",
            "高精度定位技术服务",
        ),
        _TECH_GENERIC,
        (0.08, 0.14),
        350.0,
        0.12,
        45.0,
        True,
    ),
    Group(
        "computing",
        "算力与数字经济",
        "computing power and digital economy",
        0.08,
        (
            ("6450", 14),
            ("6550", 12),
            ("3911", 6),
            ("3912", 5),
            ("3913", 5),
            ("3914", 5),
            ("3919", 3),
            ("6410", 6),
            ("6431", 8),
            ("6433", 6),
            ("6490", 8),
            ("3921", 4),
            ("3922", 4),
            ("6579", 6),
        ),
        ("数据", "云计算", "算力", "智能", "数字", "计算机", "云"),
        ("科技有限公司", "技术有限公司"),
        (
            "数据处理服务",
            "云计算装备技术服务",
            "互联网数据服务",
            "人工智能基础软件开发",
            "人工智能应用软件开发",
            "计算机整机制造",
            "计算机零部件制造",
            "服务器销售",
            "大数据服务",
            "数字内容制作服务（不含出版发行）",
            "互联网平台服务",
            "通信设备制造",
            "5G通信技术服务",
            "人工智能公共数据平台",
        ),
        _TECH_GENERIC,
        (0.07, 0.13),
        320.0,
        0.13,
        40.0,
        True,
    ),
    Group(
        "materials",
        "超硬材料与新材料",
        "superhard and new materials",
        0.05,
        (
            ("3099", 30),
            ("3091", 12),
            ("3073", 8),
            ("3089", 6),
            ("3321", 12),
            ("3985", 10),
            ("3240", 5),
            ("3393", 5),
            ("7513", 8),
        ),
        ("超硬材料", "新材料", "磨具", "金刚石", "碳材料", "精密磨料", "功能材料"),
        ("有限公司", "科技有限公司"),
        (
            "超硬材料制品制造",
            "超硬材料制品销售",
            "人造金刚石、立方氮化硼单晶及制品的生产与销售",
            "磨料磨具制造",
            "石墨及碳素制品制造",
            "特种陶瓷制品制造",
            "切削工具制造",
            "电子专用材料研发",
            "新材料技术研发",
            "耐火材料生产",
            "粉末冶金制品制造",
            "有色金属合金制造",
            "金刚石线锯制造",
        ),
        _MFG_GENERIC,
        (0.03, 0.05),
        650.0,
        0.08,
        90.0,
        True,
    ),
    Group(
        "biomed",
        "生物医药与医疗器械",
        "biomedicine and medical devices",
        0.06,
        (
            ("2710", 4),
            ("2720", 8),
            ("2730", 3),
            ("2740", 5),
            ("2761", 8),
            ("2762", 3),
            ("2770", 8),
            ("2780", 2),
            ("3581", 12),
            ("3582", 4),
            ("3583", 6),
            ("3584", 10),
            ("3585", 3),
            ("3586", 3),
            ("3589", 8),
            ("7340", 10),
        ),
        ("生物", "医疗器械", "生物医药", "医药", "医疗科技", "健康科技", "基因"),
        ("有限公司", "科技有限公司", "技术有限公司"),
        (
            "第一类医疗器械生产",
            "第二类医疗器械销售",
            "医疗器械互联网信息服务",
            "医学研究和试验发展",
            "生物化工产品技术研发",
            "细胞技术研发和应用",
            "药品生产",
            "药品批发",
            "体外诊断试剂研发",
            "医用口罩生产",
            "康复辅具适配服务",
            "医护人员防护用品生产（Ⅱ类医疗器械）",
            "实验分析仪器制造",
            "卫生用品和一次性使用医疗用品销售",
        ),
        _TECH_GENERIC,
        (0.06, 0.10),
        420.0,
        0.11,
        55.0,
        True,
    ),
    Group(
        "equipment",
        "智能装备",
        "intelligent equipment",
        0.04,
        (
            ("3491", 12),
            ("3492", 5),
            ("3493", 6),
            ("3499", 8),
            ("3425", 5),
            ("3591", 8),
            ("3441", 5),
            ("3484", 10),
            ("3569", 8),
            ("3599", 10),
        ),
        ("智能装备", "机器人", "机电", "自动化", "智能制造", "装备"),
        ("有限公司", "科技有限公司", "设备有限公司"),
        (
            "工业机器人制造",
            "智能机器人的研发",
            "增材制造装备制造",
            "通用设备制造（不含特种设备制造）",
            "专用设备制造（不含许可类专业设备制造）",
            "环境保护专用设备制造",
            "机械零件、零部件加工",
            "数控机床制造",
            "工业自动控制系统装置销售",
            "智能物料搬运装备销售",
            "泵及真空设备制造",
        ),
        _MFG_GENERIC,
        (0.03, 0.06),
        600.0,
        0.07,
        80.0,
        True,
    ),
    Group(
        "techservice",
        "科技服务",
        "science and technology services",
        0.07,
        (
            ("7320", 15),
            ("7310", 4),
            ("7452", 12),
            ("7491", 8),
            ("7519", 15),
            ("7520", 10),
            ("7530", 10),
            ("7540", 6),
            ("7484", 8),
            ("7455", 4),
            ("7517", 3),
        ),
        ("科技", "检测", "技术服务", "知识产权", "科技服务", "工程技术", "认证"),
        ("有限公司", "科技有限公司"),
        (
            "检验检测服务",
            "知识产权服务（专利代理服务除外）",
            "科技中介服务",
            "创业空间服务",
            "工业设计服务",
            "工程技术服务（规划管理、勘察、设计、监理除外）",
            "标准化服务",
            "认证咨询",
            "科技推广和应用服务",
            "专业设计服务",
            "工程和技术研究和试验发展",
            "3D打印服务",
        ),
        _TECH_GENERIC,
        (0.05, 0.10),
        180.0,
        0.09,
        30.0,
        True,
    ),
    Group(
        "other",
        "其他行业",
        "other industries (long tail)",
        0.42,
        (
            ("5199", 6),
            ("5179", 6),
            ("5176", 5),
            ("5165", 5),
            ("5174", 4),
            ("5175", 4),
            ("5191", 2),
            ("5181", 3),
            ("5292", 5),
            ("5211", 2),
            ("5212", 3),
            ("5273", 3),
            ("5299", 3),
            ("5251", 2),
            ("4790", 4),
            ("4813", 2),
            ("4899", 3),
            ("4910", 3),
            ("4920", 2),
            ("5011", 4),
            ("5012", 3),
            ("7212", 4),
            ("7211", 1),
            ("7221", 1),
            ("7224", 3),
            ("7229", 3),
            ("7243", 4),
            ("7249", 3),
            ("7259", 4),
            ("7263", 2),
            ("7269", 2),
            ("7281", 2),
            ("7289", 2),
            ("7299", 4),
            ("7020", 3),
            ("7010", 2),
            ("7030", 2),
            ("7040", 1),
            ("6210", 3),
            ("6220", 2),
            ("6291", 1),
            ("6110", 1),
            ("5431", 2),
            ("5437", 2),
            ("5920", 1),
            ("5810", 1),
            ("8010", 1),
            ("8290", 1),
            ("8391", 1),
            ("7251", 2),
            ("9051", 1),
            ("7294", 1),
            ("7121", 1),
            ("5439", 1),
        ),
        (
            "商贸",
            "建设工程",
            "建筑工程",
            "物业服务",
            "餐饮管理",
            "企业管理",
            "广告",
            "物流",
            "贸易",
            "装饰工程",
            "人力资源",
            "供应链",
            "实业",
            "文化传播",
            "置业",
        ),
        ("有限公司",),
        (),
        _SERVICE_GENERIC,
        (0.0, 0.01),
        260.0,
        0.04,
        120.0,
        False,
    ),
)
"""Industry groups of the zone; ``other`` is the long tail of ordinary firms."""

TAIL_SHARE: Final = 0.02
"""Share of ``other`` firms whose class is drawn uniformly from all classes of sections C-R."""

SYLLABLES: Final = (
    "岚澄翎槿珩昶濯霁璟瑾璞珂琮樾朔曜晗湛骁弈祺峤沅溯汐筠蔚珞璘琛旻杳岱崧沣泓漪洵澜渟霈雯暄熠烁"
    "炜煦曦昀旸钧铎镛钊柘楠棠榆桦樟梓杉苒芃菁蓁蘅芷茗荻萱葳蕤翊翀鹭鸥骐骥嵘屹岫巍淙渊澈澍沛汀沄"
    "璨琳珏瑜琰璐玥黎禾稷穗砚墨笙箫弦韶闻颂逸恪谦朴恒衡弘毅敬诚睿哲澹清湄渚洲屿峦岑崖峪涧溪泉"
)
"""Characters for fictional 字号 (trade names); rare literary characters, two per name."""

BLOCKED_PAIRS: Final = frozenset(
    {"华为", "腾讯", "阿里", "百度", "小米", "联想", "海尔", "美的", "格力", "中兴"}
)
"""Pairs that must never appear as a trade name (none can, given the syllables; kept as a guard)."""

ROADS: Final = (
    "科学大道",
    "长椿路",
    "翠竹街",
    "莲花街",
    "梧桐街",
    "瑞达路",
    "冬青街",
    "红松路",
    "雪松路",
    "金梭路",
    "银屏路",
    "合欢街",
    "枫香街",
    "石楠路",
    "杜英街",
    "迎春街",
    "丁香街",
    "紫薇路",
    "银杏路",
    "玉兰街",
    "木兰路",
    "香榭路",
    "柳林路",
    "柏林路",
    "青松街",
    "槐香路",
    "檀香路",
    "玉竹街",
    "绿萝街",
    "金桂路",
)
"""Tree-themed road names in the style of the zone (numbers and buildings are random)."""

BUILDINGS: Final = (
    "",
    "",
    "",
    "",
    "创新大厦",
    "科技园",
    "信息港",
    "孵化园",
    "数字产业园",
    "智慧岛",
    "产业园",
    "双创中心",
)

FICTIONAL_CITIES: Final = (
    "青岚市",
    "云泽市",
    "澄江市",
    "临渊市",
    "望舒市",
    "栖霞岭市",
    "清源市",
    "北辰市",
    "南溪市",
    "松陵市",
    "枫桥市",
    "星野市",
    "白鹭洲市",
    "云麓市",
    "镜湖市",
    "长汀湾市",
)
"""Fictional origin and destination cities for 迁入 / 迁出 events."""

SCOPE_END: Final = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

STATUS_WEIGHTS: Final = (("存续", 0.86), ("在业", 0.04), ("注销", 0.06), ("吊销", 0.02), ("迁出", 0.02))
STATUS_NAMES: Final = tuple(s for s, _ in STATUS_WEIGHTS)
"""The registry statuses, by index (a firm's ``status`` code is its place here)."""


def check_vocabulary() -> None:
    """Fail loudly when a code in :data:`GROUPS` is not a GB/T 4754-2017 class."""
    classes = {i.code for i in gbt4754().level("class")}
    for g in GROUPS:
        missing = [c for c, _ in g.codes if c not in classes]
        if missing:
            raise ValueError(f"demo vocabulary: group {g.key} has unknown classes {missing}")
    total = sum(g.share for g in GROUPS)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"demo vocabulary: group shares sum to {total}, not 1")
