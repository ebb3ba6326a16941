from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ d|get_item:k }}``: a dict value by a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def description_for(req, user):
    """``{{ r|description_for:request.user }}``: the description as the request's page shows it to
    ``user`` (phone/ID-like numbers masked unless they may see the reporter's details)."""
    from gongzhi.cases.views_common import masked_description

    return masked_description(user, req)
