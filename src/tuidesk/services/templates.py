"""Provides the values saved and holding replies are filled with: {customer}, {agent}, {brand}."""

from __future__ import annotations

from tuidesk.store import Store


def template_values(store: Store, agent: str, conversation_id: int, brand_name: str = ""
                    ) -> dict[str, str]:
    """The customer's display name (else handle), the agent, the brand's name (else handle)."""
    conv = store.conversations.conversation(conversation_id)
    if conv is None:
        return {"agent": agent}
    customer = (conv.customer.display_name if conv.customer else None) or conv.row.customer
    brand = brand_name or store.channels.brand_name(
        conv.row.network, conv.row.brand) or conv.row.brand
    return {"customer": customer, "agent": agent, "brand": brand}
