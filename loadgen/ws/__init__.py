"""WebSocket load generator (asyncio + websockets)."""
