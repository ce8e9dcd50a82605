/* Starting a round: the phone's position, if the inspector allows it, goes with the form. The
   round starts whether or not a position comes. */
(function () {
  var form = document.querySelector("form[data-geolocate]");
  if (!form || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.elements.latitude.value = pos.coords.latitude;
    form.elements.longitude.value = pos.coords.longitude;
    form.elements.accuracy.value = pos.coords.accuracy;
  }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();
