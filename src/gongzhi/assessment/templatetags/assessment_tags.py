from django import template

register = template.Library()


@register.filter
def pct(x, digits=1):
    """0.1234 → '12.3%'; None → '—'."""
    if x is None or x == "":
        return "—"
    return f"{float(x) * 100:.{int(digits)}f}%"


@register.filter
def num(x, digits=2):
    if x is None or x == "":
        return "—"
    if isinstance(x, int):
        return str(x)
    return f"{float(x):.{int(digits)}f}"


@register.filter
def cell_text(c):
    return c[0] if isinstance(c, (list, tuple)) else c


@register.filter
def cell_url(c):
    return c[1] if isinstance(c, (list, tuple)) else ""
