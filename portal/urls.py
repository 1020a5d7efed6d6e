from django.urls import path

from .views import home

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
]
