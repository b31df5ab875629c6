# The survey design of a stats CSV, calibrated as CALIBRATION.json says (NULL: none);
# sourced by oracle.R and tree.R, with the criterion indicators both use.
# Each margin is one key column (crossed values joined with "|"). The documented rule
# for unanswered margin questions: records with an empty value that the population
# does not name make a cell of their own, kept at its share of the design weights
# (target share * N), and the named counts are multiplied by (1 - share).
margin_cell <- function(data, margin, k) {
  columns <- unlist(margin$columns)
  key <- paste0("margin_", k)
  values <- do.call(paste, c(unname(as.list(data[columns])), sep = "|"))
  population <- unlist(margin$population)
  unanswered <- Reduce(`|`, lapply(columns, function(c) data[[c]] == "")) &
    !(values %in% names(population))
  if (any(unanswered)) {
    share <- sum(data$weight[unanswered]) / sum(data$weight)
    cell <- paste(rep("", length(columns)), collapse = "|")
    values[unanswered] <- cell
    population <- c(population * (1 - share), setNames(share * sum(population), cell))
  }
  frame <- data.frame(names(population), unname(population), stringsAsFactors = FALSE)
  names(frame) <- c(key, "Freq")
  list(key = key, values = values, formula = as.formula(paste("~", key)), frame = frame)
}
# x_CODE: the criterion was answered (1-5); y_CODE: answered 4 or 5 (satisfied).
with_indicators <- function(data, criteria) {
  for (code in criteria) {
    v <- suppressWarnings(as.numeric(data[[code]]))
    answered <- !is.na(v) & v >= 1 & v <= 5
    data[[paste0("x_", code)]] <- as.numeric(answered)
    data[[paste0("y_", code)]] <- as.numeric(answered & v >= 4)
  }
  data
}
calibrated_design <- function(data, calibration) {
  cells <- if (is.null(calibration)) list() else
    lapply(seq_along(calibration$margins), function(k) margin_cell(data, calibration$margins[[k]], k))
  for (cell in cells) data[[cell$key]] <- cell$values
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = data, nest = TRUE)
  if (is.null(calibration)) return(des)
  if (calibration$method == "poststratify") {
    return(postStratify(des, cells[[1]]$formula, cells[[1]]$frame))
  }
  rake(des, lapply(cells, `[[`, "formula"), lapply(cells, `[[`, "frame"))
}
