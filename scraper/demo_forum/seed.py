"""The seed thread as data: 8 posts by 3 members, as a XenForo 2.2 board stored them.

The text comes verbatim from the seed document (`/work/shared/seed/thread.txt`): it is
evidence, so it is never reworded. What the text does not say (post boundaries, authors,
times, ids) is invented once and fixed here. Post boundaries follow the copied page: each
no-break-space line in the seed is a post's `js-selectToQuoteEnd` (`&nbsp;`), an image file name
inside a post's text is an inline `[ATTACH=full]` image and a file name right after the
no-break-space line is an entry of that post's attachment list. The trailing `عودة` / `أعلى` are
the page's Back/Top buttons, not post content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# Africa/Casablanca has been on permanent UTC+01:00 since 2018 (only Ramadan switches back to
# +00:00), so November 2021 was +01:00; a fixed offset keeps us independent of tzdata.
MOROCCO_TZ = timezone(timedelta(hours=1))


def _t(day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(2021, 11, day, hour, minute, second, tzinfo=MOROCCO_TZ)


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    slug: str  # XenForo romanizes the name for the URL: /members/<slug>.<user_id>/
    user_title: str
    joined: date
    message_count: int
    reaction_score: int
    avatar_colors: tuple[str, str]  # (background, letter) of XenForo's default letter avatar
    # When the member uploaded an avatar (XenForo's `avatar_date`, the `?N` cache buster of
    # its URL); None keeps the default letter avatar.
    avatar_date: int | None = None


@dataclass(frozen=True)
class Attachment:
    attachment_id: int
    data_id: int  # XenForo stores the file as attachment data; thumbnails are named after it
    filename: str
    view_count: int


@dataclass(frozen=True)
class Text:
    """Plain text; each newline becomes a `<br />` as XenForo renders BB code."""

    text: str


@dataclass(frozen=True)
class InlineImage:
    """`[ATTACH=full]<attachment_id>[/ATTACH]`: one of the post's attachments shown inline."""

    attachment_id: int


@dataclass(frozen=True)
class Tweet:
    """`[MEDIA=twitter]<tweet_id>[/MEDIA]` together with what the tweet said."""

    tweet_id: str
    lang: str
    text: str
    author_name: str
    handle: str
    date_text: str
    media_url: str
    media_text: str

    @property
    def url(self) -> str:
        return f"https://twitter.com/{self.handle}/status/{self.tweet_id}"


@dataclass(frozen=True)
class Quote:
    """`[QUOTE="name, post: <post_id>, member: <user_id>"]text[/QUOTE]`."""

    post_id: int
    user_id: int
    username: str
    text: str


Segment = Text | InlineImage | Tweet | Quote


@dataclass(frozen=True)
class SeedPost:
    """A post to put in the thread.

    Seed posts fill every field. Posts handed to `build_thread(extra_posts=...)` may leave
    `post_id`, `author` and `posted_at` unset: they get the next id, the first member and a
    time one hour after the previous post. A non-None `content_html` is inserted raw into the
    post's `div.bbWrapper` instead of rendering `segments` (to simulate hostile boards).
    """

    segments: tuple[Segment, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    content_html: str | None = None
    author: Member | None = None
    posted_at: datetime | None = None
    edited_at: datetime | None = None
    post_id: int | None = None
    liked_by: tuple[str, ...] = ()  # usernames shown in the post's reactions bar


@dataclass(frozen=True)
class Post:
    """A post as placed in the thread: every field resolved, `position` 1-based."""

    post_id: int
    position: int
    author: Member
    posted_at: datetime
    edited_at: datetime | None
    segments: tuple[Segment, ...]
    attachments: tuple[Attachment, ...]
    content_html: str | None
    liked_by: tuple[str, ...]

    def attachment(self, attachment_id: int) -> Attachment:
        for attachment in self.attachments:
            if attachment.attachment_id == attachment_id:
                return attachment
        raise KeyError(f"post {self.post_id} has no attachment {attachment_id}")

    @property
    def inline_attachment_ids(self) -> tuple[int, ...]:
        return tuple(s.attachment_id for s in self.segments if isinstance(s, InlineImage))

    @property
    def listed_attachments(self) -> tuple[Attachment, ...]:
        """The attachments XenForo lists under the post: those not already shown inline."""
        inline = set(self.inline_attachment_ids)
        return tuple(a for a in self.attachments if a.attachment_id not in inline)

    @property
    def last_activity(self) -> datetime:
        return self.edited_at or self.posted_at


@dataclass(frozen=True)
class Node:
    """A category or forum of the board's node tree."""

    node_id: int
    title: str
    slug: str
    description: str = ""


@dataclass(frozen=True)
class Thread:
    thread_id: int
    title: str
    slug: str
    prefix: str
    prefix_id: int
    prefix_class: str  # XenForo's CSS class for the prefix label
    site_name: str
    category: Node
    forum: Node
    view_count: int
    members: tuple[Member, ...]
    posts: tuple[Post, ...]

    @property
    def starter(self) -> Member:
        return self.posts[0].author

    @property
    def created_at(self) -> datetime:
        return self.posts[0].posted_at

    @property
    def last_activity(self) -> datetime:
        return max(p.last_activity for p in self.posts)

    def post(self, post_id: int) -> Post:
        for post in self.posts:
            if post.post_id == post_id:
                return post
        raise KeyError(f"no post {post_id} in thread {self.thread_id}")

    def member(self, user_id: int) -> Member:
        for member in self.members:
            if member.user_id == user_id:
                return member
        raise KeyError(f"no member {user_id}")


SITE_NAME = "Far-Maroc"
HOME_TITLE = "المنتدى"

CATEGORY = Node(node_id=5, title="القوات المسلحة الملكية", slug="alqwat-almslha-almlkya")
FORUM = Node(
    node_id=12,
    title="التعاون العسكري الدولي",
    slug="altaawn-alaskari-aldwly",
    description="الشراكات والاتفاقيات والمناورات المشتركة للقوات المسلحة الملكية.",
)

ATLAS_EAGLE = Member(
    user_id=1187,
    username="atlas_eagle",
    slug="atlas_eagle",
    user_title="عضو مميز",
    joined=date(2016, 3, 12),
    message_count=4812,
    reaction_score=9731,
    avatar_colors=("#1f5c7a", "#70b8db"),
)
ALMURABIT = Member(
    user_id=2306,
    username="المرابط",
    slug="almrabt",
    user_title="عضو نشيط",
    joined=date(2018, 8, 3),
    message_count=1094,
    reaction_score=2210,
    avatar_colors=("#7a1f47", "#db709e"),
)
FAR_OBSERVER = Member(
    user_id=845,
    username="FAR_Observer",
    slug="far_observer",
    user_title="مشرف",
    joined=date(2014, 12, 27),
    message_count=9356,
    reaction_score=15402,
    avatar_colors=("#3d7a1f", "#9edb70"),
    avatar_date=1637750000,
)
MEMBERS: tuple[Member, ...] = (ATLAS_EAGLE, ALMURABIT, FAR_OBSERVER)

# The seed text, verbatim, one constant per run of text between images/embeds.
_P1_TEXT = (
    "وزير الدفاع الإسرائيلي بيني غانتس يوقع مذكرة تفاهم تاريخية مع "
    "نظيره المغربي:\n"
    "يجب أن تستمر العلاقات بين إسرائيل والمغرب في التعزيز."
)

_P2_TEXT = (
    "ضباط اسرائيلييون بالزي العسكري لأول مرة وسط العاصمة المغربية "
    "الرباط.. السكرتير العسكري لوزير الدفاع\n"
    "\"ياكي دولف\" والعقيد \"نعوم أربيل"
)

_P3_TEXT = (
    "من المرتقب ان يلتقي غذا وزير الأمن الإسرائيلي \"بيني غانتس \" رئيس "
    "المخابرات المغربية السيد \"محمد ياسين المنصوري"
)

_P4_TEXT = (
    "زيارة وزير الدفاع الإسرائيلي للمغرب، ستكون فرصة للاستفادة من "
    "الخبرة العسكرية الكبيرة التي راكمتها الدولة العبرية في مجال "
    "التسليح بشكل عام، و على الخصوص الدرونات بشتى أنواعها.\n"
    "المملكة تريد تطوير صناعة درونات على أرض الوطن، و إسرائيل مستعدة "
    "لمشاركة خبرتها في هدا المجال.\n"
    "أحد اهم الدرونات التي ستغير قواعد اللعبة في محيطنا خصوصا مع "
    "أعداء الوحدة الترابية ، هي الهاربي و الهاروب و تعتبر درونات "
    "إنتحارية لإخماد ردارات و دفاعات الجوية للعدو من مسافات بعيدة "
    "تمهيدا لقصف أمن.\n"
    "بحيت يبلغ مدى درون هاربي 500كلم.\n"
    "و تمتلكه عدة دول مثل تركيا ، كوريا الجنوبية الهند و الصين.\n"
    "و كدلك درون الهاروب بمدى 1000كلم و الدي سيكون نقطة تحول و كابوس "
    "لدفاعات الجوية لأي عدو محتمل و يعمل بعدة دول مثل أذربيجان و "
    "تركيا و سنغفورة و ألمانيا، و في الحرب الأدرية-الأرمينية، حقق "
    "نتائج مبهرة خصوصا ضذ s-300 الأرميني."
)

_P5_TEXT_A = (
    "خطت الشراكة بين المغرب وإسرائيل خطوة جديدة بالتوقيع يوم الأربعاء "
    "24 نونبر 2021 على اتفاق تاريخي بين وزير الدفاع الإسرائيلي بيني "
    "غانتس ونظيره المغربي عبد اللطيف لوديي.\n"
    "AAوقال وزير الدفاع الإسرائيلي بيني غانتس على حسابه على تويتر: "
    "\"لقد وقعت الآن مع وزير الدفاع المغربي، عبد اللطيف لوديي، اتفاقية "
    "تعاون أمني مع المغرب. وتشمل الاتفاقية تنظيم التعاون الاستخباراتي "
    "والمشتريات المتعلقة بالأمن والدفاع والتكوين المشترك والتعاون "
    "الصناعي. أشكر الملك محمد السادس ووزير الدفاع على جهودهما لتوسيع "
    "العلاقات بين البلدين. لقد خطونا خطوة تاريخية اليوم\"."
)

_P5_TEXT_B = (
    "وعلق منتدى Far-Maroc على هذه الاتفاقية في تدوينة على حسابه في "
    "الفايسبوك قائلا: \"ستشكل هذه الاتفاقية إطارا للتعاون العسكري "
    "والأمني والاستخباراتي من خلال خلق قنوات رسمية بين أجهزة "
    "المخابرات والأمن في البلدين ووضع الإطار القانوني للتعاون الصناعي "
    "والتقني وتبادل الزيارات والتكوين والقيام بتمارين مشتركة. إنها "
    "خطوة كبيرة للدفع بعلاقات التعاون بين البلدين إلى الأمام بما يخدم "
    "مصالح المنطقة والسلام والأمن الإقليميين\".\n"
    "ومباشرة بعد التوقيع على الاتفاقية، استقبل وزير الدفاع الإسرائيلي "
    "بيني غانتس من قبل المفتش العام للقوات المسلحة الملكية الجنرال "
    "دوكور دارمي بلخير الفاروق في مقر القيادة العامة للقوات المسلحة "
    "الملكية بالرباط.\n"
    "\n"
    "في حدود الساعة الثالثة والنصف بعد الزوال، سينظم حفل غداء على شرف "
    "الوزير الإسرائيلي بحضور ناصر بوريطة وعبد اللطيف لوديي وكبار "
    "المسؤولين المغاربة والإسرائيليين.\n"
    "\n"
    "وبحسب مصادرنا، سيتوجه بيني غانتس حوالي الساعة السادسة مساء إلى "
    "سلا لزيارة لواء مشاة المظلات الأول، إحدى الوحدات العديدة التي "
    "تشكل فخر الجيش المغربي.\n"
    "\n"
    "وأخيرا، في حدود الساعة السادسة و45 دقيقة، سيعقد المسؤول "
    "الإسرائيلي لقاء مع رئيس الدبلوماسية المغربية ناصر بوريطة."
)

_P6_TEXT = (
    "توقع اتفاقيات حول التعاون الأمني مع المغرب. تشمل الاتفاقية تنظيم "
    "التعاون الاستخباراتي والمشتريات الأمنية والتدريب المشترك "
    "والعلاقات الوثيقة بين الصناعات.\n"
    "أشكر الملك محمد السادس ووزير الدفاع على عملهما في توسيع العلاقات "
    "بين البلدين. لقد اتخذنا خطوة تاريخية اليوم"
)

_P7_TEXT = (
    "المغرب وإسرائيل يشيدان بالتنسيق في مجال الدفاع والرغبة في تعزيز "
    "العلاقات\n"
    "\n"
    "بتعليمات ملكية سامية، استقبل عبد اللطيف لوديي، الوزير المنتدب "
    "لدى رئيس الحكومة المكلف بإدارة الدفاع الوطني، والجنرال "
    "دوكوردارمي المفتش العام للقوات المسلحة الملكية قائد المنطقة "
    "الجنوبية، اليوم الأربعاء في الرباط، نائب رئيس الوزارء وزير دفاع "
    "دولة إسرائيل، بنيامين غانتز.\n"
    "\n"
    "وذكر بلاغ للقيادة العامة للقوات المسلحة الملكية أنه “تنفيذا "
    "للتعليمات الملكية السامية، استقبل عبد اللطيف لوديي، الوزير "
    "المنتدب لدى رئيس الحكومة المكلف بإدارة الدفاع الوطني، اليوم بمقر "
    "الإدارة، وفدا إسرائيليا هاما برئاسة بنيامين غانتز، نائب رئيس "
    "الوزارء وزير دفاع دولة إسرائيل، الذي يقوم بزيارة رسمية للمغرب من "
    "23 إلى 25 نونبر الجاري”.\n"
    "\n"
    "وتندرج هذه الزيارة في إطار علاقات التعاون بين المملكة المغربية "
    "ودولة إسرائيل، التي سجلت تقدما ملموسا منذ التوقيع، تحت رئاسة "
    "الملك محمد السادس، الإعلان الثلاثي بين المغرب وإسرائيل والولايات "
    "المتحدة الأمريكية، في دجنبر 2020، والذي توج باستئناف العلاقات "
    "الدبلوماسية بين الرباط وتل أبيب.\n"
    "\n"
    "وبهذه المناسبة، أشاد الوزيران المغربي والإسرائيلي بالتقدم المحرز "
    "في مجال الدفاع بإبرام اتفاق يتعلق بحماية المعلومات في مجال "
    "الدفاع ومذكرة تفاهم للتعاون في مجال الأمن السيبراني.\n"
    "\n"
    "وفي أعقاب ذلك، بحث الوزيران سبل ووسائل توطيد التعاون العسكري "
    "الثنائي في المجالات ذات الاهتمام المشترك، وجددا إرادتهما "
    "المشتركة في تعزيز هذه العلاقات.\n"
    "\n"
    "كما تباحث الوزيران، بالمناسبة، حول قضايا ذات طابع ثنائي وإقليمي، "
    "وفي هذا الإطار أبرز الجانبان الروابط التاريخية والثقافية بين "
    "البلدين، والتعلق المتين لأفراد الطائفة اليهودية بالمغرب واليهود "
    "المغاربة في إسرائيل، وفي شتى بقاع العالم، بالملك محمد السادس، "
    "والتي تمكنهما من العمل على النهوض بالسلم وتعزيز الاستقرار بالشرق "
    "الأوسط.\n"
    "\n"
    "وعقب هذا اللقاء، وقع الوزيران على مذكرة تفاهم في مجال الدفاع، "
    "تشمل تبادل التجارب والخبرات، ونقل التكنولوجيا والتكوين، وكذا "
    "التعاون في مجال الصناعة الدفاعية.\n"
    "\n"
    "وبتعليمات سامية من الملك محمد السادس، القائد الأعلى ورئيس أركان "
    "الحرب العامة للقوات المسلحة الملكية، استقبل الجنرال دوكوردارمي "
    "المفتش العام للقوات المسلحة الملكية قائد المنطقة الجنوبية، بمقر "
    "القيادة العامة للقوات المسلحة الملكية في الرباط، الوزير بنيامين "
    "غانتز على رأس وفد إسرائيلي هام، بحضور مسؤولين عسكريين سامين من "
    "القوات المسلحة الملكية.\n"
    "\n"
    "وخلص البلاغ إلى أنه، خلال جلسة العمل هذه، نوه المسؤولان بدينامية "
    "التعاون بين البلدين، الذي يعود بالنفع على الجانبين ويبشر بتعاون "
    "واعد على مستوى تبادل الخبرات، ولاسيما في مجالات التكوين وتعزيز "
    "قدرات الدفاع ونقل التكنولوجيا."
)

_P8_TEXT_A = (
    "المغرب وإسرائيل يوقعان مذكرة دفاع للتعاون في الصناعات والمبيعات "
    "العسكرية\n"
    "\n"
    "في أول خطوة في مسار تنزيل الشراكة الإستراتيجية بين المغرب "
    "وإسرائيل، وقع وزير الدفاع الإسرائيلي بيني غانتس، صباح اليوم "
    "الأربعاء، مذكرة دفاع مع نظيره عبد اللطيف لوديي، الوزير المنتدب "
    "المكلف بإدارة الدفاع الوطني."
)

_P8_TEXT_B = (
    "وهذه أول اتفاقية أمنية يوقعها المسؤول الإسرائيلي مع المملكة، "
    "وذلك خلال اليوم الأول من زيارته التي تستغرق يومين بهدف تعزيز "
    "العلاقات الدفاعية بين البلدين.\n"
    "\n"
    "وقال متحدث باسم وزارة الدفاع الإسرائيلية إن المغرب وإسرائيل وقعا "
    "مذكرة دفاعية في الرباط يوم الأربعاء، ما يفتح الطريق أمام مبيعات "
    "عسكرية محتملة وتعاون بعد أن رفعت الدولتان مستوى العلاقات "
    "الدبلوماسية العام الماضي."
)

_P8_TEXT_C = (
    "واتفق الجانبان على إضفاء الطابع الرسمي على التعاون الأمني في "
    "مذكرة تفاهم تضع خططًا لإنشاء لجنة مشتركة من أجل تعميق التعاون "
    "عبر مجالات، مثل تبادل المعلومات الاستخبارية والبحوث والتدريب "
    "العسكري المشترك.\n"
    "\n"
    "ولا ينص الاتفاق الموقع على صفقات محددة، لكنه يسمح لشركات الدفاع "
    "الإسرائيلية بالتعامل مع المغرب."
)

_P8_TEXT_D = (
    "ووصل بيني غانتس ليل الثلاثاء إلى الرباط، في زيارة هي الأولى "
    "لوزير دفاع إسرائيلي إلى المغرب، وترمي إلى تعزيز التعاون الأمني "
    "بين البلدين بعد نحو عام على تطبيع علاقاتهما، وتتزامن مع توتر بين "
    "الرباط والجزائر بشأن نزاع الصحراء.\n"
    "\n"
    "وقال غانتس قبيل إقلاع طائرته من مطار “بن جوريون” في تل أبيب: "
    "“ننطلق بعد دقائق في رحلة مهمة إلى المغرب تكتسي صبغة تاريخية، "
    "كونها أول زيارة رسمية لوزير دفاع إسرائيلي إلى هذا البلد”، وأضاف: "
    "“سنوقع اتفاقيات تعاون، ونواصل تقوية علاقاتنا و من المهم جداً أن "
    "تكون هذه الزيارة ناجحة”.\n"
    "\n"
    "وفي أول نشاط رسمي له في المغرب، قام وزير الدفاع الإسرائيلي بيني "
    "غانتس، بزيارة ضريح محمد الخامس بالرباط، حيث ترحم على روحي "
    "الملكين الراحلين محمد الخامس والحسن الثاني.\n"
    "\n"
    "وبهذه المناسبة، وضع وزير الدفاع الإسرائيلي إكليلا من الزهور على "
    "قبري الملكين الراحلين، قبل أن يقف دقيقة صمت ترحما على روحيهما، "
    "ثم وقع في الدفتر الذهبي للضريح.\n"
    "\n"
    "ومن المرتقب أن يلتقي المسؤول الإسرائيلي، وفقا لما نقلته الصحافة "
    "الإسرائيلية، عددا من كبار الشخصيات في المغرب، من قبيل عبد اللطيف "
    "حموشي، المدير العام للأمن الوطني، وكذا وزير الخارجية والتعاون "
    "الإفريقي ومغاربة العالم، ناصر بوريطة، كما من المرتقب أن يزور مقر "
    "المديرية العامة للدراسات والمستندات (لادجيد)."
)

GANTZ_TWEET = Tweet(
    tweet_id="1463571208437166080",
    lang="he",
    text=(
        "חתמתי כעת עם שר ההגנה המרוקאי עבד אל-לטיף לודיי על הסכם שת׳׳פ "
        "ביטחוני עם מרוקו. ההסכם כולל את הסדרת שיתוף הפעולה המודיעיני, "
        "רכש ביטחוני, קיום אימונים משותפים וקשר הדוק בין התעשיות. אני "
        "מודה למלך מוחמד החמישי ולשר ההגנה על פעולתם להרחבת היחסים בין "
        "המדינות. עשינו היום צעד היסטורי."
    ),
    author_name="בני גנץ - Benny Gantz",
    handle="gantzbe",
    date_text="November 24, 2021",
    media_url="https://t.co/bRlRBbpWbR",
    media_text="pic.twitter.com/bRlRBbpWbR",
)

# The first sentence of post #5, which post #6 quotes (a reply quoting part of a post).
_P5_FIRST_SENTENCE = _P5_TEXT_A.split("\n", 1)[0]

_FE9C = Attachment(41230, 41187, "FE9CNKiWUAM6iQM.jpeg", 1873)
_7C58 = Attachment(41236, 41193, "7C588B94-630C-43AD-A66A-5096614AED7A.jpeg", 1402)
_530B = Attachment(41241, 41198, "530BFC77-480A-4969-84C6-118DED6CA686.jpeg", 1288)
_LOUDIYI1_FIRST = Attachment(41262, 41219, "Benny-Gantz-Abdellatif-Loudiyi1.jpg", 1155)
_ISRAELMAROC = Attachment(41275, 41232, "israelmaroc.jpg", 990)
_LOUDIYI = Attachment(41288, 41245, "Benny-Gantz-Abdellatif-Loudiyi.jpg", 874)
# The same file uploaded again in a later post: a new attachment (and data row), same bytes.
_LOUDIYI1_AGAIN = Attachment(41289, 41246, "Benny-Gantz-Abdellatif-Loudiyi1.jpg", 861)
_LOUDIYI2 = Attachment(41290, 41247, "Benny-Gantz-Abdellatif-Loudiyi2.jpg", 853)

SEED_POSTS: tuple[SeedPost, ...] = (
    SeedPost(
        post_id=118201,
        author=ATLAS_EAGLE,
        posted_at=_t(23, 23, 48, 12),
        segments=(Text(_P1_TEXT),),
        liked_by=("المرابط", "FAR_Observer"),
    ),
    SeedPost(
        post_id=118236,
        author=ALMURABIT,
        posted_at=_t(24, 9, 12, 7),
        segments=(Text(_P2_TEXT), InlineImage(_FE9C.attachment_id)),
        attachments=(_FE9C,),
        liked_by=("atlas_eagle",),
    ),
    SeedPost(
        post_id=118244,
        author=ATLAS_EAGLE,
        posted_at=_t(24, 10, 42, 35),
        segments=(Text(_P3_TEXT),),
        attachments=(_7C58,),
    ),
    SeedPost(
        post_id=118259,
        author=FAR_OBSERVER,
        posted_at=_t(24, 13, 27, 50),
        edited_at=_t(24, 13, 41, 2),
        segments=(Text(_P4_TEXT),),
        attachments=(_530B,),
        liked_by=("atlas_eagle", "المرابط"),
    ),
    SeedPost(
        post_id=118287,
        author=ATLAS_EAGLE,
        posted_at=_t(24, 16, 5, 19),
        segments=(Text(_P5_TEXT_A), GANTZ_TWEET, Text(_P5_TEXT_B)),
        liked_by=("FAR_Observer",),
    ),
    SeedPost(
        post_id=118302,
        author=ALMURABIT,
        posted_at=_t(24, 17, 31, 44),
        segments=(
            Quote(
                post_id=118287,
                user_id=ATLAS_EAGLE.user_id,
                username=ATLAS_EAGLE.username,
                text=_P5_FIRST_SENTENCE,
            ),
            Text(_P6_TEXT),
        ),
        attachments=(_LOUDIYI1_FIRST,),
    ),
    SeedPost(
        post_id=118355,
        author=FAR_OBSERVER,
        posted_at=_t(25, 8, 19, 3),
        segments=(Text(_P7_TEXT),),
        attachments=(_ISRAELMAROC,),
        liked_by=("atlas_eagle",),
    ),
    SeedPost(
        post_id=118421,
        author=ATLAS_EAGLE,
        posted_at=_t(26, 11, 54, 27),
        edited_at=_t(26, 12, 3, 10),
        segments=(
            Text(_P8_TEXT_A),
            InlineImage(_LOUDIYI.attachment_id),
            Text(_P8_TEXT_B),
            InlineImage(_LOUDIYI1_AGAIN.attachment_id),
            Text(_P8_TEXT_C),
            InlineImage(_LOUDIYI2.attachment_id),
            Text(_P8_TEXT_D),
        ),
        attachments=(_LOUDIYI, _LOUDIYI1_AGAIN, _LOUDIYI2),
    ),
)

THREAD_ID = 2741
THREAD_TITLE = "آفاق التعاون العسكري بين المغرب و إسرائيل"
THREAD_SLUG = "afaq-altaawn-alaskari-byn-almghrb-w-israyyl"
THREAD_PREFIX = "متجدد"


def build_thread(extra_posts: Sequence[SeedPost] = ()) -> Thread:
    """The seed thread, with `extra_posts` appended after the seed posts."""
    posts: list[Post] = []
    for seed in (*SEED_POSTS, *extra_posts):
        previous = posts[-1] if posts else None
        post_id = seed.post_id
        if post_id is None:
            if previous is None:
                raise ValueError("the first post needs an explicit post_id")
            post_id = previous.post_id + 1
        posted_at = seed.posted_at
        if posted_at is None:
            if previous is None:
                raise ValueError("the first post needs an explicit posted_at")
            posted_at = previous.posted_at + timedelta(hours=1)
        posts.append(
            Post(
                post_id=post_id,
                position=len(posts) + 1,
                author=seed.author or MEMBERS[0],
                posted_at=posted_at,
                edited_at=seed.edited_at,
                segments=seed.segments,
                attachments=seed.attachments,
                content_html=seed.content_html,
                liked_by=seed.liked_by,
            )
        )
    ids = [p.post_id for p in posts]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate post ids in thread: {ids}")
    members = list(MEMBERS)
    for post in posts:
        if post.author not in members:
            members.append(post.author)
    return Thread(
        thread_id=THREAD_ID,
        title=THREAD_TITLE,
        slug=THREAD_SLUG,
        prefix=THREAD_PREFIX,
        prefix_id=3,
        prefix_class="label--orange",
        site_name=SITE_NAME,
        category=CATEGORY,
        forum=FORUM,
        view_count=3912,
        members=tuple(members),
        posts=tuple(posts),
    )


SEED_THREAD = build_thread()
