from django.urls import path

from .views import home, trainees

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    # trainees and secondments
    path("trainees/", trainees.trainee_list, name="trainees"),
    path("trainees/nominate/", trainees.trainee_nominate, name="trainee_nominate"),
    path("trainees/<int:pk>/", trainees.trainee_detail, name="trainee_detail"),
]
