"""How the bot is put together: FSM storage in memory, or in Redis when VORONKA_REDIS_URL is set."""

from __future__ import annotations

import uuid

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

from bots.telegram.app import FSM_TTL, build_dispatcher, build_storage
from models.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_fsm_state_lives_in_memory_by_default() -> None:
    storage, isolation = build_storage(Settings())
    assert isinstance(storage, MemoryStorage)
    assert isinstance(isolation, SimpleEventIsolation), "one update per user at a time"


async def test_fsm_state_lives_in_redis_when_configured() -> None:
    settings = Settings(redis_url=REDIS_URL)
    storage, isolation = build_storage(settings)
    assert isinstance(storage, RedisStorage)
    assert isinstance(isolation, RedisEventIsolation)
    key = StorageKey(bot_id=123456, chat_id=uuid.uuid4().int % 10**9, user_id=42)
    try:
        await storage.set_state(key, "draft:amount")
        await storage.set_data(key, {"deal_id": 7})
        again, _ = build_storage(settings)  # another process
        try:
            assert await again.get_state(key) == "draft:amount"
            assert await again.get_data(key) == {"deal_id": 7}
        finally:
            await again.close()
        redis_key = storage.key_builder.build(key, "state")
        assert redis_key.startswith("voronka:fsm:123456:")
        assert 0 < await storage.redis.ttl(redis_key) <= FSM_TTL.total_seconds()
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await isolation.close()
        await storage.close()


def test_the_dispatcher_serves_only_the_update_types_it_handles() -> None:
    dispatcher = build_dispatcher(Settings())
    assert set(dispatcher.resolve_used_update_types()) == {"message", "callback_query"}
