/* Person-times: a stacked bar per place (and period), one colour per force group, the places
   with the most person-times first (the page sends them sorted and, by default, only the top ones).
   The figures come from the JSON block the page renders (#stats-chart-data); nothing is fetched.
   On a narrow screen the legend goes under the chart, so that it never covers the axis, and the
   place names stand upright, cut short, inside the grid. */
(function () {
  "use strict";
  var NARROW = 600; // px of chart width below which the phone layout is used

  function option(data, narrow) {
    var count = data.categories.length;
    var many = count > 24;
    var zoom = many ? 28 : 0; // the slider's height and gap
    var legend = 28; // one scrolling line of legend
    var grid = narrow
      ? { left: 8, right: 8, top: 16, bottom: 8 + legend + zoom, outerBoundsMode: "same", outerBoundsContain: "axisLabel" }
      : { left: 16, right: 16, top: 8 + legend, bottom: 8 + zoom, outerBoundsMode: "same", outerBoundsContain: "axisLabel" };
    return {
      color: ["#1f4e9c", "#5b8c2a", "#b26a00", "#c8102e"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: narrow
        ? { type: "scroll", bottom: 4 + zoom, left: "center" }
        : { type: "scroll", top: 0, left: "center" },
      grid: grid,
      xAxis: {
        type: "category",
        data: data.categories,
        axisLabel: {
          interval: many ? "auto" : 0,
          rotate: narrow ? (count > 4 ? 90 : 0) : (count > 8 ? 30 : 0),
          width: narrow ? 96 : 140,
          overflow: "truncate",
          hideOverlap: true
        }
      },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: many ? [{ type: "slider", bottom: 4, height: 18 }, { type: "inside" }] : [],
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "groups", emphasis: { focus: "series" }, data: s.data };
      })
    };
  }

  function draw() {
    var box = document.getElementById("stats-chart");
    var source = document.getElementById("stats-chart-data");
    if (!box || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box);
    var narrow = box.clientWidth < NARROW;
    chart.setOption(option(data, narrow));
    box.setAttribute("data-layout", narrow ? "narrow" : "wide");
    window.addEventListener("resize", function () {
      var now = box.clientWidth < NARROW;
      if (now !== narrow) {
        narrow = now;
        chart.setOption(option(data, narrow), { replaceMerge: ["legend", "grid", "dataZoom"] });
        box.setAttribute("data-layout", narrow ? "narrow" : "wide");
      }
      chart.resize();
    });
    box.setAttribute("data-drawn", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
