"""Charts: pure Altair builders (and the org chart's image export), one module per page's
charts, each taking frames the domain floors produce and returning a chart. Imports the domain
floors; never Streamlit."""
