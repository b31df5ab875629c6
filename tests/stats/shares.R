# Reference shares and a domain difference from R's survey package.
# Usage: Rscript shares.R FILE.csv ITEM CRITERION
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], colClasses = "character")
item <- args[2]; criterion <- args[3]
data$weight <- as.numeric(data$weight)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = data, nest = TRUE)
answered <- subset(des, des$variables[[item]] != "")
shares <- lapply(sort(unique(data[[item]][data[[item]] != ""])), function(option) {
  answered$variables$chosen <- as.numeric(answered$variables[[item]] == option)
  m <- svymean(~chosen, answered)
  ci <- attr(svyciprop(~chosen, answered, method = "xlogit"), "ci")
  list(option = option, index = unname(coef(m)), se = as.numeric(SE(m)),
       df = degf(answered), ci = as.numeric(ci))
})
v <- suppressWarnings(as.numeric(data[[criterion]]))
des <- update(des, y = as.numeric(!is.na(v) & v >= 4), x = as.numeric(!is.na(v) & v <= 5))
by_group <- svyby(~y, ~group, subset(des, x == 1), svymean, covmat = TRUE)
groups <- as.character(by_group$group)
difference <- svycontrast(by_group, setNames(c(1, -1, 0), groups))
cat(toJSON(list(shares = shares, groups = groups,
                difference = list(value = unname(coef(difference)),
                                  se = as.numeric(SE(difference)))),
           auto_unbox = TRUE, digits = NA))
