from django.conf import settings


def platform(request):
    return {"GONGZHI_TILE_URL": settings.GONGZHI_TILE_URL}
