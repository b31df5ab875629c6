# oracle.R for several cases in one R session: R's start-up and library(survey),
# a second each, once. Usage: Rscript oracle_batch.R CASES.json, where CASES.json
# is a list of oracle.R argument lists; prints one JSON result per line, in order.
suppressMessages({library(survey); library(jsonlite)})
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)))
cases <- fromJSON(commandArgs(trailingOnly = TRUE)[1], simplifyVector = FALSE)
for (case in cases) {
  run <- new.env()
  run$oracle_args <- unlist(case)
  run$oracle_dir <- here
  cat(capture.output(sys.source(file.path(here, "oracle.R"), envir = run)), "\n", sep = "")
}
