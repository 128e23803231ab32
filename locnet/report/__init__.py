"""Reports: the tables and figures that README.md, docs/results.md and the pages show.

`cli` is `python -m locnet report`, `blocks` the docs' generated blocks (its sections and `--update`); `tables`,
`campaign_tables`, `provenance` and `bench_tables` print Markdown;
`figures`, `campaign_figures`, `reliability` and `style` draw the result pages' plotly
charts; `series`, `readouts`, `ranking`, `lookups`, `campaign` and `budget` are the pure
look-ups behind them (series names and the paper's values, readout selection, best/worst
cases, budget curves); `accuracy`, `chance`, `display`, `freshness`, `headlines`,
`tour_cases` and `why` are the demo's measures (% within 10 m, models at chance, stale
weights, takeaways, the tour's cases by rule, a case's measured "why"); `limit` the physical
limit; `powder_tables` the real-measurement tables. Reads result folders through `evaluate.folders`; may import
`evaluate`, `posterior`, `models`, `data` and the base modules, never the app.
"""
