# Reference values for plasmatrial.design group-sequential boundaries and log-rank sample sizes.
# Run from this directory:  Rscript design_rpact.R  -> ../fixtures/design_rpact.json
suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})

gs_cases <- list(
  list(kMax = 1L, alpha = 0.025, beta = 0.2, sided = 1L, typeOfDesign = "asOF", informationRates = 1),
  list(kMax = 2L, alpha = 0.025, beta = 0.2, sided = 1L, typeOfDesign = "asOF", informationRates = c(0.5, 1)),
  list(kMax = 3L, alpha = 0.025, beta = 0.1, sided = 1L, typeOfDesign = "asOF", informationRates = c(1, 2, 3) / 3),
  list(kMax = 3L, alpha = 0.025, beta = 0.2, sided = 1L, typeOfDesign = "asOF", informationRates = c(0.3, 0.7, 1)),
  list(kMax = 4L, alpha = 0.025, beta = 0.1, sided = 1L, typeOfDesign = "asOF", informationRates = c(1, 2, 3, 4) / 4),
  list(kMax = 2L, alpha = 0.025, beta = 0.2, sided = 1L, typeOfDesign = "OF", informationRates = c(0.5, 1)),
  list(kMax = 3L, alpha = 0.025, beta = 0.1, sided = 1L, typeOfDesign = "OF", informationRates = c(1, 2, 3) / 3),
  list(kMax = 4L, alpha = 0.025, beta = 0.2, sided = 1L, typeOfDesign = "OF", informationRates = c(0.25, 0.5, 0.8, 1)),
  list(kMax = 3L, alpha = 0.05, beta = 0.2, sided = 2L, typeOfDesign = "asOF", informationRates = c(1, 2, 3) / 3),
  list(kMax = 3L, alpha = 0.05, beta = 0.1, sided = 2L, typeOfDesign = "OF", informationRates = c(1, 2, 3) / 3)
)

gs_out <- lapply(gs_cases, function(cs) {
  d <- do.call(getDesignGroupSequential, cs)
  ch <- getDesignCharacteristics(d)
  list(
    args = cs,
    criticalValues = d$criticalValues,
    stageLevels = d$stageLevels,
    alphaSpent = d$alphaSpent,
    inflationFactor = ch$inflationFactor,
    shift = ch$shift
  )
})

surv_cases <- list(
  list(kMax = 1L, beta = 0.2, hazardRatio = 0.7, allocationRatioPlanned = 1, median2 = 8, dropoutRate = 0, typeOfComputation = "Schoenfeld"),
  list(kMax = 1L, beta = 0.1, hazardRatio = 0.7, allocationRatioPlanned = 2, median2 = 8, dropoutRate = 0, typeOfComputation = "Schoenfeld"),
  list(kMax = 1L, beta = 0.2, hazardRatio = 0.6, allocationRatioPlanned = 2, median2 = 8, dropoutRate = 0.05, typeOfComputation = "Schoenfeld"),
  list(kMax = 1L, beta = 0.1, hazardRatio = 0.6, allocationRatioPlanned = 1, median2 = 8, dropoutRate = 0.1, typeOfComputation = "Freedman"),
  list(kMax = 1L, beta = 0.2, hazardRatio = 0.7, allocationRatioPlanned = 2, median2 = 8, dropoutRate = 0, typeOfComputation = "Freedman"),
  list(kMax = 2L, beta = 0.2, hazardRatio = 0.7, allocationRatioPlanned = 1, median2 = 8, dropoutRate = 0, typeOfComputation = "Schoenfeld"),
  list(kMax = 3L, beta = 0.1, hazardRatio = 0.7, allocationRatioPlanned = 2, median2 = 8, dropoutRate = 0.05, typeOfComputation = "Schoenfeld"),
  list(kMax = 4L, beta = 0.1, hazardRatio = 0.6, allocationRatioPlanned = 2, median2 = 8, dropoutRate = 0, typeOfComputation = "Schoenfeld"),
  list(kMax = 3L, beta = 0.2, hazardRatio = 0.6, allocationRatioPlanned = 1, lambda2 = log(2) / 8, dropoutRate = 0.05, typeOfComputation = "Schoenfeld")
)

surv_out <- lapply(surv_cases, function(cs) {
  info <- seq_len(cs$kMax) / cs$kMax
  d <- getDesignGroupSequential(kMax = cs$kMax, alpha = 0.025, beta = cs$beta, sided = 1,
                                typeOfDesign = "asOF", informationRates = info)
  args <- list(design = d, hazardRatio = cs$hazardRatio,
               allocationRatioPlanned = cs$allocationRatioPlanned,
               accrualTime = 24, followUpTime = 12,
               dropoutRate1 = cs$dropoutRate, dropoutRate2 = cs$dropoutRate, dropoutTime = 12,
               typeOfComputation = cs$typeOfComputation)
  if (!is.null(cs$median2)) args$median2 <- cs$median2 else args$lambda2 <- cs$lambda2
  s <- do.call(getSampleSizeSurvival, args)
  list(
    args = cs,
    alpha = 0.025, sided = 1L, typeOfDesign = "asOF", informationRates = info,
    accrualTime = 24, followUpTime = 12, dropoutTime = 12,
    maxNumberOfEvents = s$maxNumberOfEvents,
    maxNumberOfSubjects = s$maxNumberOfSubjects,
    maxNumberOfSubjects1 = s$maxNumberOfSubjects1,
    maxNumberOfSubjects2 = s$maxNumberOfSubjects2,
    eventsPerStage = as.vector(s$eventsPerStage),
    analysisTime = as.vector(s$analysisTime),
    expectedEventsH0 = s$expectedEventsH0,
    expectedEventsH1 = s$expectedEventsH1,
    studyDurationH1 = if (cs$kMax > 1) s$studyDurationH1 else s$studyDuration,
    maxStudyDuration = if (cs$kMax > 1) s$maxStudyDuration else s$studyDuration,
    lambda1 = s$lambda1, lambda2 = s$lambda2
  )
})

out <- list(
  call = "rpact::getDesignGroupSequential(...); rpact::getDesignCharacteristics(d); rpact::getSampleSizeSurvival(d, ...)",
  r_version = R.version.string,
  packages = list(rpact = as.character(packageVersion("rpact")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  expected = list(group_sequential = gs_out, survival = surv_out)
)
write_json(out, file.path("..", "fixtures", "design_rpact.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
