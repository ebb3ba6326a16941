from django import template

register = template.Library()


@register.filter
def pct(rate) -> str:
    """A rate dict ({"value", "num", "den"}) or a float as a percentage; "—" when undefined."""
    value = rate.get("value") if isinstance(rate, dict) else rate
    return "—" if value is None else f"{value:.1%}"


@register.filter
def stars(n) -> str:
    return "★" * int(n or 0)
