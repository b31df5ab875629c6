# Reference numbers for an index tree from R's survey package: each node by
# svycontrast on the totals (Σw·sat_k, Σw·answered_k), as DESIGN §5 defines the indices.
# Usage: Rscript tree.R FILE.csv TREE.json LONELY LEVEL [BY|-] [CALIBRATION.json]
# TREE.json: {"code", "weight", "pooled", "children": [...], "criteria": [...]}
suppressMessages({library(survey); library(jsonlite)})
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "design.R"))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], colClasses = "character", check.names = FALSE)
tree <- fromJSON(args[2], simplifyVector = FALSE)
options(survey.lonely.psu = args[3])
level <- as.numeric(args[4])
by <- if (length(args) >= 5 && args[5] != "-") args[5] else NA
calibration <- if (length(args) >= 6) fromJSON(args[6], simplifyVector = FALSE) else NULL
data$weight <- as.numeric(data$weight)

all_criteria <- function(node) {
  c(unlist(node$criteria), unlist(lapply(node$children, all_criteria)))
}
criteria <- all_criteria(tree)
data <- with_indicators(data, criteria)
des <- calibrated_design(data, calibration)

# the node's index as an R expression in the totals y_k, x_k
expression_of <- function(node) {
  codes <- all_criteria(node)
  if (isTRUE(node$pooled)) {
    return(sprintf("((%s)/(%s))", paste0("y_", codes, collapse = "+"),
                   paste0("x_", codes, collapse = "+")))
  }
  if (length(node$children) == 0) {
    return(sprintf("((%s)/%d)", paste(sprintf("y_%s/x_%s", codes, codes), collapse = "+"),
                   length(codes)))
  }
  weights <- sapply(node$children, function(child) child$weight)
  parts <- mapply(function(child, w) sprintf("%.17g*%s", w, expression_of(child)),
                  node$children, weights)
  sprintf("((%s)/%.17g)", paste(parts, collapse = "+"), sum(weights))
}

nodes <- function(node) c(list(node), unlist(lapply(node$children, nodes), recursive = FALSE))

estimate <- function(design, node, totals) {
  est <- svycontrast(totals, parse(text = expression_of(node))[[1]])
  p <- unname(coef(est)[1]); se <- unname(SE(est)[1]); df <- degf(design)
  t <- qt(1 - (1 - level) / 2, df)
  ci <- expit(log(p / (1 - p)) + c(-1, 1) * t * se / (p * (1 - p)))
  list(code = node$code, index = p, se = se, df = df, ci = ci)
}
expit <- function(x) 1 / (1 + exp(-x))

domain <- function(design) {
  vars <- paste0(rep(c("y_", "x_"), each = length(criteria)), criteria)
  totals <- svytotal(as.formula(paste("~", paste(vars, collapse = "+"))), design)
  lapply(nodes(tree), function(node) estimate(design, node, totals))
}

result <- list(nodes = domain(des))
if (!is.na(by)) {
  result$groups <- lapply(sort(unique(data[[by]])), function(value) {
    list(value = value, nodes = domain(subset(des, des$variables[[by]] == value)))
  })
}
cat(toJSON(result, auto_unbox = TRUE, digits = NA))
