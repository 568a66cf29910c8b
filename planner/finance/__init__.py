"""Finance: the medium-term financial plan of an option (issue 15): its assumptions, the
projection of its savings against each council's target year by year, and the workbook finance
reads. It sits above people because the plan's one-off costs are the exit bill of the option's
mapping. Imports core, establishment, structures and people; nothing above."""
