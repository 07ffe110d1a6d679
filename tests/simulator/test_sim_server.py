"""The simulator over raw HTTP: envelopes, methods, updates, files, faults and user actions."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from simulator import BotApiSimulator, FloodLimits, tiny_png

from .conftest import ApiClient

KEYBOARD = {"inline_keyboard": [[{"text": "Ya", "callback_data": "rsvp:yes"},
                                 {"text": "Web", "url": "https://wilayah.go.id"}]]}


async def started_user(sim: BotApiSimulator, user_id: int = 7) -> None:
    await sim.add_user(user_id, "Siti", username="siti")
    await sim.send_text(user_id, "halo")


async def test_get_me_and_envelope(api: ApiClient, sim: BotApiSimulator) -> None:
    status, body = await api("getMe")
    assert status == 200 and body["ok"] is True
    assert body["result"]["id"] == 123456 and body["result"]["is_bot"] is True
    assert body["result"]["username"] == "wilayah_test_bot"
    status, body = await api("GETME")  # method names are case-insensitive
    assert status == 200


async def test_token_and_method_errors(
    http: aiohttp.ClientSession, api: ApiClient, sim: BotApiSimulator
) -> None:
    async with http.get(f"{sim.api_base_url}999:WRONG/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with http.get(f"{sim.api_base_url}garbage/getMe") as resp:
        assert resp.status == 404
    status, body = await api("fooBar")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await api("sendPoll", chat_id=1, question="q", options=[{"text": "a"}])
    assert status == 400
    assert body["description"] == "Bad Request: method not supported by the simulator: sendPoll"
    status, body = await api("sendMessage", chat_id=1)
    assert body["description"] == 'Bad Request: parameter "text" is required'
    rejected = [c.method for c in sim.rejected_calls]
    assert rejected == ["getMe", "getMe", "fooBar", "sendPoll", "sendMessage"]
    assert len(sim.calls) == 5


async def test_send_message_requires_a_started_chat(api: ApiClient, sim: BotApiSimulator) -> None:
    status, body = await api("sendMessage", chat_id=7, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    await sim.add_user(7, "Siti")
    status, body = await api("sendMessage", chat_id=7, text="hi")
    assert body["description"] == "Bad Request: chat not found"
    await sim.send_text(7, "/start")
    status, body = await api(
        "sendMessage", form=True, chat_id="7", text="<b>Halo</b> &amp; selamat",
        parse_mode="HTML", reply_markup=json.dumps(KEYBOARD),
    )
    assert status == 200, body
    msg = body["result"]
    assert msg["chat"] == {"id": 7, "type": "private", "first_name": "Siti"}
    assert msg["from"]["is_bot"] is True and msg["text"] == "Halo & selamat"
    assert msg["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert msg["reply_markup"] == KEYBOARD
    last = sim.last_bot_message(7)
    assert last.html == "<b>Halo</b> &amp; selamat"
    assert last.buttons == [("Ya", "rsvp:yes"), ("Web", None)]
    assert last.safe_html == "<b>Halo</b> &amp; selamat"


async def test_user_messages_get_command_entities(sim: BotApiSimulator) -> None:
    await sim.add_user(7, "Siti")
    msg = await sim.send_text(7, "/start lapor_123")
    assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    msg = await sim.send_text(7, "cek /help@wilayah_test_bot dan https://x.id #banjir")
    assert [e["type"] for e in msg["entities"]] == ["bot_command", "url", "hashtag"]
    assert sim.chat(7)[0].text == "/start lapor_123" and not sim.chat(7)[0].from_bot


async def test_long_polling_returns_promptly(api: ApiClient, sim: BotApiSimulator) -> None:
    await sim.add_user(7, "Siti")
    poll = asyncio.create_task(api("getUpdates", timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    began = time.monotonic()
    await sim.send_text(7, "halo")
    status, body = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - began < 0.5
    assert status == 200 and len(body["result"]) == 1
    update = body["result"][0]
    assert update["message"]["text"] == "halo"
    # Not confirmed yet: delivered again; confirming with offset forgets it.
    _, body = await api("getUpdates")
    assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
    _, body = await api("getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert body["result"] == []
    assert sim.pending_updates == []


async def test_get_updates_limit_negative_offset_and_timeout(
    api: ApiClient, sim: BotApiSimulator
) -> None:
    await sim.add_user(7, "Siti")
    for i in range(5):
        await sim.send_text(7, f"m{i}")
    _, body = await api("getUpdates", limit=2)
    assert [u["message"]["text"] for u in body["result"]] == ["m0", "m1"]
    _, body = await api("getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["m4"]
    began = time.monotonic()
    _, body = await api("getUpdates", offset=body["result"][0]["update_id"] + 1, timeout=1)
    assert body["result"] == [] and 0.9 < time.monotonic() - began < 1.5


async def test_webhook_blocks_get_updates(api: ApiClient) -> None:
    status, body = await api("setWebhook", url="http://example.com/hook")
    assert body["description"].startswith("Bad Request: bad webhook: An HTTPS URL")
    status, body = await api("setWebhook", url="http://127.0.0.1:9/hook", secret_token="abc")
    assert body == {"ok": True, "result": True}
    status, body = await api("getUpdates")
    assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")
    _, body = await api("getWebhookInfo")
    assert body["result"]["url"] == "http://127.0.0.1:9/hook"
    await api("deleteWebhook")
    status, _ = await api("getUpdates")
    assert status == 200


async def test_webhook_delivery_with_secret(
    sim: BotApiSimulator, api: ApiClient, free_port: int
) -> None:
    from aiohttp import web

    received: list[tuple[str | None, dict]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", free_port).start()
    try:
        hook_url = f"http://127.0.0.1:{free_port}/hook"
        await api("setWebhook", url=hook_url, secret_token="s3cret-TOKEN")
        await sim.add_user(7, "Siti")
        await sim.send_text(7, "satu")
        await sim.send_text(7, "dua")
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
        got = [(s, u["message"]["text"]) for s, u in received]
        assert got == [("s3cret-TOKEN", "satu"), ("s3cret-TOKEN", "dua")]
        _, body = await api("getWebhookInfo")
        assert body["result"]["pending_update_count"] == 0
        assert "500" in body["result"]["last_error_message"]
    finally:
        await api("deleteWebhook")
        await runner.cleanup()


async def test_flood_control_over_http(
    flood_sim: BotApiSimulator, http: aiohttp.ClientSession
) -> None:
    api = ApiClient(http, flood_sim)
    await started_user(flood_sim)
    for i in range(3):
        status, _ = await api("sendMessage", chat_id=7, text=f"m{i}")
        assert status == 200
    status, body = await api("sendMessage", chat_id=7, text="m3")
    assert status == 429
    assert body == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert len(flood_sim.flood_hits) == 1 and flood_sim.rejected_calls == []
    status, _ = await api("sendChatAction", chat_id=7, action="typing")
    assert status == 200  # chat actions are not flood-limited
    flood_sim.set_flood(None)
    status, _ = await api("sendMessage", chat_id=7, text="now fine")
    assert status == 200


async def test_rejected_calls_do_not_consume_flood_tokens(
    flood_sim: BotApiSimulator, http: aiohttp.ClientSession
) -> None:
    api = ApiClient(http, flood_sim)
    flood_sim.set_flood(FloodLimits(private_burst=1, private_per_second=0.01))
    await started_user(flood_sim)
    for _ in range(3):
        status, body = await api("sendMessage", chat_id=7, text="<b>broken", parse_mode="HTML")
        assert status == 400 and "can't parse entities" in body["description"]
    status, _ = await api("sendMessage", chat_id=7, text="ok")
    assert status == 200
    status, body = await api("sendMessage", chat_id=7, text="again")
    assert status == 429 and body["parameters"]["retry_after"] == 100


async def test_upload_get_file_and_download(
    api: ApiClient, sim: BotApiSimulator, http: aiohttp.ClientSession
) -> None:
    await started_user(sim)
    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    form.add_field("caption", "Rekap <i>Mei</i>")
    form.add_field("parse_mode", "HTML")
    form.add_field("document", b"a,b\n1,2\n", filename="rekap.csv", content_type="text/csv")
    status, body = await api.multipart("sendDocument", form)
    assert status == 200, body
    doc = body["result"]["document"]
    assert (doc["file_name"], doc["mime_type"], doc["file_size"]) == ("rekap.csv", "text/csv", 8)
    assert body["result"]["caption"] == "Rekap Mei"
    status, body = await api("getFile", file_id=doc["file_id"])
    assert status == 200 and body["result"]["file_path"].endswith(".csv")
    async with http.get(f"{sim.file_base_url}{sim.token}/{body['result']['file_path']}") as resp:
        assert resp.status == 200 and await resp.read() == b"a,b\n1,2\n"
    async with http.get(f"{sim.file_base_url}{sim.token}/documents/nope") as resp:
        assert resp.status == 404
    status, body = await api("sendDocument", chat_id=7, document=doc["file_id"])
    assert status == 200 and body["result"]["document"]["file_id"] == doc["file_id"]
    status, body = await api("getFile", file_id="nonexistent")
    assert body["description"] == "Bad Request: invalid file_id"


async def test_photos(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    form.add_field("photo", tiny_png(1000, 500), filename="p.png", content_type="image/png")
    status, body = await api.multipart("sendPhoto", form)
    assert status == 200, body
    sizes = body["result"]["photo"]
    dims = [(s["width"], s["height"]) for s in sizes]
    assert dims == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert sim.last_bot_message(7).photo == [s["file_id"] for s in sizes]
    status, body = await api("sendPhoto", chat_id=7, photo=sizes[-1]["file_id"], caption="lagi")
    assert status == 200 and body["result"]["photo"] == sizes
    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    form.add_field("photo", b"not an image", filename="p.png")
    status, body = await api.multipart("sendPhoto", form)
    assert body["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    status, body = await api("sendPhoto", chat_id=7, photo="https://example.com/x.jpg")
    assert body["description"] == "Bad Request: failed to get HTTP URL content"
    user_msg = await sim.send_photo(7, tiny_png(), caption="foto jalan rusak")
    assert user_msg["caption"] == "foto jalan rusak" and user_msg["photo"][-1]["width"] == 4


async def test_media_group_with_attach(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    form.add_field("media", json.dumps([
        {"type": "photo", "media": "attach://one", "caption": "<b>1</b>", "parse_mode": "HTML"},
        {"type": "photo", "media": "attach://two"},
    ]))
    form.add_field("one", tiny_png(), filename="1.png")
    form.add_field("two", tiny_png(2, 2), filename="2.png")
    status, body = await api.multipart("sendMediaGroup", form)
    assert status == 200, body
    first, second = body["result"]
    assert first["media_group_id"] == second["media_group_id"]
    assert first["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    status, body = await api("sendMediaGroup", chat_id=7, media=[{"type": "photo", "media": "x"}])
    assert "2-10" in body["description"]


async def test_location_chat_action_and_get_chat(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    status, body = await api("sendLocation", chat_id=7, latitude=-6.2, longitude=106.8)
    assert body["result"]["location"] == {"latitude": -6.2, "longitude": 106.8}
    status, body = await api("sendLocation", chat_id=7, latitude=-96, longitude=106.8)
    assert status == 400
    status, body = await api("sendChatAction", chat_id=7, action="dancing")
    assert body["description"] == "Bad Request: wrong parameter action in request"
    status, body = await api("getChat", chat_id=7)
    assert body["result"]["username"] == "siti" and body["result"]["type"] == "private"
    status, body = await api("getChat", chat_id="@siti")
    assert body["description"] == "Bad Request: chat not found"  # users have no public @chat
    await sim.add_group(-100555, "Warga RT 05", type="supergroup", username="warga_rt05")
    status, body = await api("getChat", chat_id="@warga_rt05")
    assert body["result"]["title"] == "Warga RT 05"


async def test_editing_rules(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    _, body = await api("sendMessage", chat_id=7, text="Pilih", reply_markup=KEYBOARD)
    mid = body["result"]["message_id"]
    status, body = await api("editMessageText", chat_id=7, message_id=999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    status, body = await api("editMessageText", chat_id=7, message_id=mid, text="Pilih",
                             reply_markup=KEYBOARD)
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await api("editMessageReplyMarkup", chat_id=7, message_id=mid,
                             reply_markup=KEYBOARD)
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await api("editMessageText", chat_id=7, message_id=mid,
                             text="<i>Dipilih</i>", parse_mode="HTML")
    assert status == 200 and "reply_markup" not in body["result"] and "edit_date" in body["result"]
    msg = sim.last_bot_message(7)
    assert msg.edited and msg.text == "Dipilih" and msg.reply_markup is None and msg.buttons == []
    status, body = await api("editMessageCaption", chat_id=7, message_id=mid, caption="x")
    assert body["description"] == "Bad Request: there is no caption in the message to edit"
    status, body = await api("editMessageText", chat_id=7, message_id=1, text="hack")
    assert body["description"] == "Bad Request: message can't be edited"
    assert (await api("deleteMessage", chat_id=7, message_id=mid))[0] == 200
    status, body = await api("deleteMessage", chat_id=7, message_id=mid)
    assert body["description"] == "Bad Request: message to delete not found"
    status, body = await api("editMessageText", chat_id=7, message_id=mid, text="late")
    assert body["description"] == "Bad Request: message to edit not found"
    assert sim.last_bot_message(7) is None and sim.bot_messages(7, include_deleted=True)[0].deleted


async def test_press_button_and_answer(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    _, body = await api("sendMessage", chat_id=7, text="Hadir?", reply_markup=KEYBOARD)
    mid = body["result"]["message_id"]
    with pytest.raises(ValueError, match="no button with callback_data"):
        await sim.press_button(7, mid, "rsvp:no")
    with pytest.raises(ValueError):
        await sim.press_button(7, 1, "rsvp:yes")  # the user's own message has no buttons
    query_id = await sim.press_button(7, mid, "rsvp:yes")
    _, body = await api("getUpdates")
    query = body["result"][-1]["callback_query"]
    assert query["id"] == query_id and query["data"] == "rsvp:yes"
    assert query["message"]["message_id"] == mid and query["from"]["id"] == 7
    status, body = await api("answerCallbackQuery", callback_query_id=query_id, text="x" * 201)
    assert body["description"] == "Bad Request: MESSAGE_TOO_LONG"
    status, _ = await api("answerCallbackQuery", callback_query_id=query_id, text="Tercatat")
    assert status == 200
    status, body = await api("answerCallbackQuery", callback_query_id=query_id)
    assert body["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert [(a.data, a.text) for a in sim.callback_answers(7)] == [("rsvp:yes", "Tercatat")]
    forged = await sim.forge_callback(7, 4242, "admin:delete_all")
    _, body = await api("getUpdates")
    update = body["result"][-1]["callback_query"]
    assert update["id"] == forged and update["message"]["date"] == 0


async def test_keyboard_validation_over_http(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    bad = {"inline_keyboard": [[{"text": "x", "callback_data": "x" * 65}]]}
    status, body = await api("sendMessage", chat_id=7, text="hi", reply_markup=bad)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    contact_kb = {"keyboard": [[{"text": "Bagikan nomor", "request_contact": True}]],
                  "one_time_keyboard": True}
    status, body = await api("sendMessage", chat_id=7, text="Nomor?", reply_markup=contact_kb)
    assert status == 200 and "reply_markup" not in body["result"]
    assert sim.reply_keyboard(7) == contact_kb
    msg = await sim.send_contact(7, "+628123456789")
    assert msg["contact"] == {"phone_number": "+628123456789", "first_name": "Siti", "user_id": 7}
    assert sim.reply_keyboard(7) is None


async def test_commands_per_scope_and_language(api: ApiClient, sim: BotApiSimulator) -> None:
    cmds = [{"command": "lapor", "description": "Buat laporan"}]
    assert (await api("setMyCommands", commands=cmds))[0] == 200
    assert (await api("setMyCommands", commands=[{"command": "report", "description": "Report"}],
                      language_code="en", scope={"type": "all_private_chats"}))[0] == 200
    _, body = await api("getMyCommands")
    assert body["result"] == cmds
    _, body = await api("getMyCommands", language_code="en")
    assert body["result"] == []
    assert set(sim.commands) == {("default", ""), ("all_private_chats", "en")}
    status, body = await api("setMyCommands", commands=[{"command": "Bad-Cmd", "description": "x"}])
    assert body["description"] == "Bad Request: BOT_COMMAND_INVALID"
    await api("deleteMyCommands")
    assert set(sim.commands) == {("all_private_chats", "en")}


async def test_faults_and_blocking(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)
    sim.fail_next("sendMessage", status=502)
    sim.fail_next("*", status=500, description="Internal Server Error: boom")
    status, body = await api("sendMessage", chat_id=7, text="x")
    assert (status, body["description"]) == (502, "Bad Gateway")
    status, body = await api("getMe")
    assert (status, body["description"]) == (500, "Internal Server Error: boom")
    sim.rate_limit_next("sendMessage", retry_after=7)
    status, body = await api("sendMessage", chat_id=7, text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 7}
    assert len(sim.flood_hits) == 1
    sim.delay_next("getMe", 0.3)
    began = time.monotonic()
    assert (await api("getMe"))[0] == 200
    assert time.monotonic() - began >= 0.3
    sim.block_user(7)
    status, body = await api("sendMessage", chat_id=7, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    sim.unblock_user(7)
    assert (await api("sendMessage", chat_id=7, text="x"))[0] == 200
    stats = sim.stats()
    assert stats["server_errors"] == 2 and stats["flood_hits"] == 1 and stats["rejected"] == 1


async def test_wait_for_bot_message(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim)

    async def bot_replies() -> None:
        await asyncio.sleep(0.05)
        await api("sendMessage", chat_id=7, text="satu")
        await api("sendMessage", chat_id=7, text="dua")

    task = asyncio.create_task(bot_replies())
    first = await sim.wait_for_bot_message(7, timeout=2)
    await task
    assert first.text == "satu"
    second = await sim.wait_for_bot_message(7, after=first.message_id)
    assert second.text == "dua"
    assert (await sim.wait_for_bot_message(7, contains="du")).text == "dua"
    await api("editMessageText", chat_id=7, message_id=first.message_id, text="satu (diubah)")
    edited = await sim.wait_for_bot_message(7, after=second.message_id)
    assert edited.message_id == first.message_id and edited.edited
    await sim.send_text(7, "lagi")
    with pytest.raises(TimeoutError, match="recent bot messages"):
        await sim.wait_for_bot_message(7, timeout=0.1)


async def test_user_edit_and_inject(api: ApiClient, sim: BotApiSimulator) -> None:
    await sim.add_user(7, "Siti")
    msg = await sim.send_text(7, "alamat salah")
    await sim.edit_text(7, msg["message_id"], "alamat benar")
    await sim.inject_update({"my_chat_member": {"chat": {"id": 7, "type": "private"}}})
    _, body = await api("getUpdates")
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["message", "edited_message", "my_chat_member"]
    assert body["result"][1]["edited_message"]["text"] == "alamat benar"
    with pytest.raises(ValueError):
        await sim.edit_text(7, 999, "x")


async def test_events_for_demo(api: ApiClient, sim: BotApiSimulator) -> None:
    queue = sim.subscribe()
    await started_user(sim)
    _, body = await api("sendMessage", chat_id=7, text="<b>Hai</b>", parse_mode="HTML",
                        reply_markup=KEYBOARD)
    mid = body["result"]["message_id"]
    qid = await sim.press_button(7, mid, "rsvp:yes")
    await api("answerCallbackQuery", callback_query_id=qid, text="ok")
    await api("editMessageText", chat_id=7, message_id=mid, text="Selesai")
    await api("deleteMessage", chat_id=7, message_id=mid)
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    assert [e["type"] for e in events] == [
        "message", "message", "callback_query", "callback_answer", "edit", "delete",
    ]
    assert events[1]["message"]["safe_html"] == "<b>Hai</b>" and events[1]["message"]["from_bot"]
    assert events[3]["answer"]["text"] == "ok"
    sim.unsubscribe(queue)


async def test_control_api(sim: BotApiSimulator, http: aiohttp.ClientSession) -> None:
    base = f"{sim.url}/_sim"
    async with http.post(f"{base}/users", json={"user_id": 9, "first_name": "Andi"}) as resp:
        assert (await resp.json())["result"]["first_name"] == "Andi"
    async with http.get(f"{base}/events") as stream:
        assert (await stream.content.readline()).startswith(b": connected")
        await stream.content.readline()
        async with http.post(f"{base}/users/9/text", json={"text": "/start"}) as resp:
            assert (await resp.json())["result"]["text"] == "/start"
        line = await asyncio.wait_for(stream.content.readline(), 2)
        event = json.loads(line.removeprefix(b"data: "))
        assert event["type"] == "message" and event["message"]["text"] == "/start"
    form = aiohttp.FormData()
    form.add_field("photo", tiny_png(), filename="x.png", content_type="image/png")
    form.add_field("caption", "banjir")
    async with http.post(f"{base}/users/9/photo", data=form) as resp:
        photo = (await resp.json())["result"]["photo"][-1]
    async with http.get(f"{base}/files/{photo['file_id']}") as resp:
        assert await resp.read() == tiny_png()
    where = {"latitude": -6.1, "longitude": 106.8}
    async with http.post(f"{base}/users/9/location", json=where) as resp:
        assert resp.status == 200
    press = {"message_id": 1, "callback_data": "x"}
    async with http.post(f"{base}/users/9/press", json=press) as resp:
        assert resp.status == 400 and "no bot message" in (await resp.json())["description"]
    async with http.get(f"{base}/users/9/messages") as resp:
        kinds = [m["kind"] for m in (await resp.json())["result"]]
        assert kinds == ["text", "photo", "location"]
    async with http.post(f"{base}/flood", json={"private_burst": 5}) as resp:
        assert (await resp.json())["result"]["private_burst"] == 5
    async with http.post(f"{base}/flood", json=None) as resp:
        assert (await resp.json())["result"] is None and sim.flood is None
    async with http.get(f"{base}/stats") as resp:
        stats = (await resp.json())["result"]
        assert stats["users"] == 1 and stats["messages"] == 3 and stats["pending_updates"] == 3


async def test_group_chat_messages_and_flood(
    flood_sim: BotApiSimulator, http: aiohttp.ClientSession
) -> None:
    api = ApiClient(http, flood_sim)
    await flood_sim.add_user(7, "Siti")
    await flood_sim.add_group(-4001, "Kecamatan")
    msg = await flood_sim.send_text(7, "/rapat", chat_id=-4001)
    assert msg["chat"]["type"] == "group" and msg["from"]["id"] == 7
    for i in range(20):
        assert (await api("sendMessage", chat_id=-4001, text=f"g{i}"))[0] == 200
    status, body = await api("sendMessage", chat_id=-4001, text="too much")
    assert status == 429 and body["parameters"]["retry_after"] == 3


async def test_data_dir_keeps_files_on_disk(tmp_path, http: aiohttp.ClientSession) -> None:
    async with BotApiSimulator(flood=None, data_dir=tmp_path) as disk_sim:
        api = ApiClient(http, disk_sim)
        await disk_sim.add_user(7, "Siti")
        msg = await disk_sim.send_document(7, b"%PDF-1.4 surat", file_name="surat.pdf")
        assert msg["document"]["mime_type"] == "application/pdf"
        _, body = await api("getFile", file_id=msg["document"]["file_id"])
        url = f"{disk_sim.file_base_url}{disk_sim.token}/{body['result']['file_path']}"
        async with http.get(url) as resp:
            assert await resp.read() == b"%PDF-1.4 surat"
        assert any(p.read_bytes() == b"%PDF-1.4 surat" for p in (tmp_path / "files").iterdir())


async def test_injected_callback_query_can_be_answered(
    api: ApiClient, sim: BotApiSimulator
) -> None:
    await sim.inject_update({"callback_query": {
        "id": "555", "from": {"id": 7, "is_bot": False, "first_name": "X"}, "chat_instance": "1",
        "data": "x"}})
    assert (await api("answerCallbackQuery", callback_query_id="555"))[0] == 200


async def test_copy_and_forward(api: ApiClient, sim: BotApiSimulator) -> None:
    await started_user(sim, 7)
    await started_user(sim, 8)
    photo = await sim.send_photo(7, tiny_png(), caption="jalan rusak")
    status, body = await api("copyMessage", chat_id=8, from_chat_id=7,
                             message_id=photo["message_id"], caption="<b>Laporan</b>",
                             parse_mode="HTML", reply_markup=KEYBOARD)
    assert status == 200, body
    copy = sim.last_bot_message(8)
    assert body["result"] == {"message_id": copy.message_id}
    assert copy.kind == "photo" and copy.text == "Laporan" and copy.photo == [
        s["file_id"] for s in photo["photo"]]
    status, body = await api("forwardMessage", chat_id=8, from_chat_id=7, message_id=1)
    assert body["result"]["text"] == "halo"
    assert body["result"]["forward_origin"]["sender_user"]["id"] == 7
    status, body = await api("forwardMessage", chat_id=8, from_chat_id=7, message_id=99)
    assert body["description"] == "Bad Request: message to forward not found"
