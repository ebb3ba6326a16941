from django.urls import path

from . import review_views, views

app_name = "plans"
urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/", views.inbox, name="inbox"),
    path("check/", views.check_now, name="check"),
    path("goals/new/", views.goal_new, name="goal_new"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("goals/<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    # regular joint reviews (定期会商研判, seed 003)
    path("reviews/", review_views.reviews, name="reviews"),
    path("reviews/generate/", review_views.generate, name="reviews_generate"),
    path("reviews/<int:pk>/", review_views.review, name="review"),
    path("goals/<int:pk>/reviews/", review_views.goal_reviews, name="goal_reviews"),
]
