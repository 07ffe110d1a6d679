"""Telegram HTML parse mode, text limits and safe rendering."""

from __future__ import annotations

import pytest

from simulator import ApiError, parse_html, safe_html
from simulator.telegram_html import entities_to_html, prepare_text, utf16_len


def parse_error(text: str) -> str:
    with pytest.raises(ApiError) as info:
        parse_html(text)
    assert info.value.code == 400
    assert info.value.description.startswith("Bad Request: can't parse entities: ")
    return info.value.description


def test_nested_tags_produce_sorted_entities() -> None:
    text, ents = parse_html("<b>Laporan <i>baru</i></b> dari <u>Desa</u> <s>x</s>")
    assert text == "Laporan baru dari Desa x"
    assert ents == [
        {"type": "bold", "offset": 0, "length": 12},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "underline", "offset": 18, "length": 4},
        {"type": "strikethrough", "offset": 23, "length": 1},
    ]


@pytest.mark.parametrize(
    ("source", "entity"),
    [
        ("<strong>a</strong>", {"type": "bold"}),
        ("<em>a</em>", {"type": "italic"}),
        ("<ins>a</ins>", {"type": "underline"}),
        ("<del>a</del>", {"type": "strikethrough"}),
        ("<strike>a</strike>", {"type": "strikethrough"}),
        ('<span class="tg-spoiler">a</span>', {"type": "spoiler"}),
        ("<tg-spoiler>a</tg-spoiler>", {"type": "spoiler"}),
        ("<code>a</code>", {"type": "code"}),
        ("<pre>a</pre>", {"type": "pre"}),
        ('<pre><code class="language-python">a</code></pre>',
         {"type": "pre", "language": "python"}),
        ("<blockquote>a</blockquote>", {"type": "blockquote"}),
        ("<blockquote expandable>a</blockquote>", {"type": "expandable_blockquote"}),
        ('<tg-emoji emoji-id="5368324170671202286">a</tg-emoji>',
         {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"}),
        ("<a href='https://x.id/?a=1&amp;b=2'>a</a>",
         {"type": "text_link", "url": "https://x.id/?a=1&b=2"}),
        ("<B>a</B>", {"type": "bold"}),
    ],
)
def test_each_supported_tag(source: str, entity: dict) -> None:
    text, ents = parse_html(source)
    assert text == "a"
    assert ents == [{**entity, "offset": 0, "length": 1}]


def test_html_entities_are_decoded() -> None:
    text, _ = parse_html("1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;ok&quot; &#65;&#x1F600; AT&T")
    assert text == '1 < 2 && 3 > 2 "ok" A😀 AT&T'


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unexpected "<" at byte offset 2'),
        ("ä <b", "Unclosed start tag at byte offset 3"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("&apos;", "Unsupported HTML entity"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", 'must have attribute "emoji-id"'),
        ('<a href="x>y</a>', "Unclosed start tag"),
    ],
)
def test_invalid_html_is_rejected(source: str, fragment: str) -> None:
    assert fragment in parse_error(source)


def test_offsets_and_lengths_are_utf16() -> None:
    text, ents = parse_html("😀 <b>héllo 👍</b>")
    assert text == "😀 héllo 👍"
    assert ents == [{"type": "bold", "offset": 3, "length": 8}]
    assert utf16_len("😀") == 2 and utf16_len("é") == 1


def test_text_length_limits_count_utf16_after_parsing() -> None:
    assert prepare_text("<b>" + "x" * 4096 + "</b>", "HTML")[0] == "x" * 4096
    with pytest.raises(ApiError, match="message is too long"):
        prepare_text("x" * 4097)
    assert prepare_text("😀" * 2048)[0] == "😀" * 2048
    with pytest.raises(ApiError, match="message is too long"):
        prepare_text("😀" * 2049)
    with pytest.raises(ApiError, match="Bad Request: message text is empty"):
        prepare_text("<b> </b>\n", "HTML")
    assert prepare_text("x" * 1024, caption=True)[0] == "x" * 1024
    with pytest.raises(ApiError, match="Bad Request: message caption is too long"):
        prepare_text("😀" * 513, caption=True)


def test_surrounding_whitespace_is_trimmed_like_telegram() -> None:
    text, ents = prepare_text("\n  <b> hi</b> there \n", "html")
    assert text == "hi there"
    assert ents == [{"type": "bold", "offset": 0, "length": 2}]


def test_unsupported_parse_modes_are_explicit() -> None:
    with pytest.raises(ApiError, match="not supported by the simulator"):
        prepare_text("*x*", "MarkdownV2")
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        prepare_text("x", "XML")


def test_safe_html_whitelists_and_escapes() -> None:
    rendered = safe_html(
        '<b>a\n&lt;script&gt;</b> <a href="javascript:alert(1)">bad</a> '
        '<a href="https://ok.id/?q=&quot;">ok</a> <tg-spoiler>s</tg-spoiler>'
    )
    assert "<script" not in rendered and "javascript:" not in rendered
    assert rendered.startswith("<b>a<br>&lt;script&gt;</b> bad ")
    link = '<a href="https://ok.id/?q=&quot;" target="_blank" rel="noopener noreferrer nofollow">'
    assert link + "ok</a>" in rendered
    assert '<span class="tg-spoiler">s</span>' in rendered
    with pytest.raises(ApiError):
        safe_html("<img src=x onerror=alert(1)>")


def test_entities_round_trip_to_telegram_html() -> None:
    source = '<b>a <i>b</i></b> &lt; <pre><code class="language-py">x\ny</code></pre>'
    assert parse_html(entities_to_html(*parse_html(source))) == parse_html(source)


def test_overlapping_entities_render_well_nested() -> None:
    ents = [{"type": "bold", "offset": 0, "length": 4},
            {"type": "italic", "offset": 2, "length": 4}]
    assert entities_to_html("abcdef", ents) == "<b>ab<i>cd</i></b><i>ef</i>"
