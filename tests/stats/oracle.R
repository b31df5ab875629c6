# Reference numbers from R's survey package for a stats CSV (DESIGN §5 conventions).
# Usage: Rscript oracle.R FILE.csv CRITERIA(comma) FACTORS(A=A1+A2;B=...) LONELY CI LEVEL
#        [BY|-] [CALIBRATION.json]
#        (oracle_batch.R runs it for several cases in one R session: then the
#        arguments and this folder come as oracle_args and oracle_dir)
suppressMessages({library(survey); library(jsonlite)})
here <- if (exists("oracle_dir")) oracle_dir else
  dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE)))
source(file.path(here, "design.R"))
args <- if (exists("oracle_args")) oracle_args else commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1], colClasses = "character", check.names = FALSE)
criteria <- strsplit(args[2], ",")[[1]]
factor_specs <- strsplit(strsplit(args[3], ";")[[1]], "=")
options(survey.lonely.psu = args[4])
ci_method <- args[5]
level <- as.numeric(args[6])
by <- if (length(args) >= 7 && args[7] != "-") args[7] else NA
calibration <- if (length(args) >= 8) fromJSON(args[8], simplifyVector = FALSE) else NULL
data$weight <- as.numeric(data$weight)
data <- with_indicators(data, criteria)
des <- calibrated_design(data, calibration)
expit <- function(x) 1 / (1 + exp(-x))

criterion <- function(design, code) {
  sub <- subset(design, design$variables[[paste0("x_", code)]] == 1)
  f <- as.formula(paste0("~y_", code))
  m <- svymean(f, sub, deff = TRUE)
  p <- unname(coef(m)[1]); se <- unname(SE(m)[1])
  n <- sum(weights(sub) > 0)
  satisfied <- sum(sub$variables[[paste0("y_", code)]][weights(sub) > 0])
  # the documented rule: p of 0 or 1, no variance or no df -> Clopper-Pearson on counts
  degenerate <- p <= 0 || p >= 1 || se <= 0 || degf(sub) < 1
  ci <- if (degenerate) {
    as.numeric(binom.test(satisfied, n, conf.level = level)$conf.int)
  } else if (ci_method == "wald") {
    p + c(-1, 1) * qt(1 - (1 - level) / 2, degf(sub)) * se
  } else {
    # "xlogit" is the same interval as "logit" (DESIGN §5) but keeps the t quantile
    # exact; "logit" goes through 1 - 2*pnorm(qt(...)), which underflows at df = 1
    method <- if (ci_method == "logit") "xlogit" else ci_method
    as.numeric(attr(svyciprop(f, sub, method = method, level = level), "ci"))
  }
  w <- weights(sub); w <- w[w > 0]
  list(code = code, n = n, satisfied = satisfied,
       index = p, se = se, df = degf(sub), ci = ci, deff = unname(deff(m)[1]),
       deff_kish = length(w) * sum(w^2) / sum(w)^2,
       ci_method = if (degenerate) "clopper-pearson" else ci_method)
}

combination <- function(design, codes_by_factor, weights_by_factor) {
  vars <- unlist(lapply(unlist(codes_by_factor), function(c) c(paste0("y_", c), paste0("x_", c))))
  tot <- svytotal(as.formula(paste("~", paste(vars, collapse = "+"))), design)
  parts <- mapply(function(codes, w) {
    paste0(w, "*(", paste(sprintf("y_%s/x_%s", codes, codes), collapse = "+"), ")/", length(codes))
  }, codes_by_factor, weights_by_factor / sum(weights_by_factor))
  est <- svycontrast(tot, parse(text = paste(parts, collapse = "+"))[[1]])
  p <- unname(coef(est)[1]); se <- unname(SE(est)[1]); df <- degf(design)
  t <- qt(1 - (1 - level) / 2, df)
  ci <- if (p <= 0 || p >= 1 || se <= 0 || df < 1) {
    n <- sum(weights(design) > 0)
    as.numeric(binom.test(round(p * n), n, conf.level = level)$conf.int)
  } else if (ci_method == "wald") p + c(-1, 1) * t * se else expit(log(p / (1 - p)) + c(-1, 1) * t * se / (p * (1 - p)))
  list(index = p, se = se, df = df, ci = ci)
}

domain <- function(design) {
  present <- Filter(function(code) sum(design$variables[[paste0("x_", code)]][weights(design) > 0]) > 0, criteria)
  factors <- lapply(factor_specs, function(s) strsplit(s[2], "\\+")[[1]])
  names(factors) <- sapply(factor_specs, `[`, 1)
  list(
    criteria = lapply(present, function(code) criterion(design, code)),
    factors = lapply(names(factors), function(f) c(list(code = f), combination(design, list(factors[[f]]), 1))),
    overall = combination(design, factors, rep(1, length(factors)))
  )
}

result <- domain(des)
result$meta <- list(rows = nrow(data), strata = length(unique(data$stratum)), df = degf(des))
if (!is.na(by)) {
  result$groups <- lapply(sort(unique(data[[by]])), function(value) {
    c(list(column = by, value = value), domain(subset(des, des$variables[[by]] == value)))
  })
}
cat(toJSON(result, auto_unbox = TRUE, digits = NA))
