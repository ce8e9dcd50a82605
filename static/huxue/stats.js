/* Person-times: a stacked bar per place (and period), one colour per force group.
   The figures come from the JSON block the page renders (#stats-chart-data); nothing is fetched. */
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("stats-chart");
    var source = document.getElementById("stats-chart-data");
    if (!box || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(box);
    var many = data.categories.length > 24;
    chart.setOption({
      color: ["#1f4e9c", "#5b8c2a", "#b26a00", "#c8102e"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: many ? 72 : 48, containLabel: true },
      xAxis: {
        type: "category",
        data: data.categories,
        axisLabel: { interval: many ? "auto" : 0, rotate: data.categories.length > 8 ? 30 : 0 }
      },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: many ? [{ type: "slider", bottom: 8 }, { type: "inside" }] : [],
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "groups", emphasis: { focus: "series" }, data: s.data };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-drawn", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
