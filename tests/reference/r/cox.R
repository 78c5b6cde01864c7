# Reference values for plasmatrial.stats.cox.cox_ph from survival::coxph.
# Run from this directory: Rscript cox.R  -> ../fixtures/cox.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})

fit_case <- function(fit, data, cols) {
  se <- sqrt(diag(as.matrix(fit$var)))
  q <- qnorm(0.975)
  list(
    call = paste(deparse(fit$call), collapse = " "),
    ties = as.character(fit$call$ties),
    data = as.list(data[, cols, drop = FALSE]),
    expected = list(
      coef = unname(fit$coefficients),
      var = unname(fit$var),
      naive_var = if (is.null(fit$naive.var)) NULL else unname(fit$naive.var),
      loglik = unname(fit$loglik),
      score_test = unname(fit$score),
      wald_test = unname(fit$wald.test),
      robust_score_test = if (is.null(fit$rscore)) NULL else unname(fit$rscore),
      lr_test = unname(2 * diff(fit$loglik)),
      iter = fit$iter,
      n = fit$n, nevent = fit$nevent,
      # summary.coxph's definitions, written out (summary() fails on agexact fits)
      p_value = unname(2 * pnorm(-abs(fit$coefficients / se))),
      conf_low = unname(exp(fit$coefficients - q * se)),
      conf_high = unname(exp(fit$coefficients + q * se)),
      concordance = as.list(fit$concordance)
    )
  )
}

lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "inst", "wt.loss")])
lung2$event <- as.integer(lung2$status == 2)
lung2 <- lung2[, c("time", "event", "age", "sex", "ph.ecog", "inst", "wt.loss")]
lung2$w <- 1 + (seq_len(nrow(lung2)) %% 3) / 2

vet <- veteran
vet$celltype <- as.character(vet$celltype)

set.seed(20240601)
n <- 500
ties_df <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), grp = sample(1:40, n, TRUE))
ties_df$time <- pmax(1, ceiling(rexp(n, 0.1 * exp(0.5 * ties_df$x1 - 0.7 * ties_df$x2))))
ties_df$time <- pmin(ties_df$time, 30)
ties_df$event <- rbinom(n, 1, 0.75)
ties_df$entry <- floor(runif(n, 0, 0.8) * ties_df$time)
# agexact (exact ties with (start, stop] data) enumerates subsets: keep its tie sets small
small_df <- ties_df[1:80, ]
small_df$time <- small_df$time * 3 + (seq_len(80) %% 3)
small_df$entry <- floor(small_df$entry * 3)

cases <- list(
  lung_efron = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2, ties = "efron"),
    lung2, c("time", "event", "age", "sex", "ph.ecog")),
  lung_breslow = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2, ties = "breslow"),
    lung2, c("time", "event", "age", "sex", "ph.ecog")),
  lung_exact = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2, ties = "exact"),
    lung2, c("time", "event", "age", "sex", "ph.ecog")),
  lung_cluster_efron = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2, ties = "efron", cluster = inst),
    lung2, c("time", "event", "age", "sex", "ph.ecog", "inst")),
  lung_robust_breslow = fit_case(coxph(Surv(time, event) ~ age + sex + wt.loss, data = lung2, ties = "breslow", robust = TRUE),
    lung2, c("time", "event", "age", "sex", "wt.loss")),
  lung_weighted_efron = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2, ties = "efron", weights = w),
    lung2, c("time", "event", "age", "sex", "ph.ecog", "w")),
  ovarian_efron = fit_case(coxph(Surv(futime, fustat) ~ age + ecog.ps + rx, data = ovarian, ties = "efron"),
    ovarian, c("futime", "fustat", "age", "ecog.ps", "rx")),
  veteran_strata_efron = fit_case(coxph(Surv(time, status) ~ trt + karno + age + strata(celltype),
    data = vet, ties = "efron"), vet, c("time", "status", "trt", "karno", "age", "celltype")),
  veteran_strata_breslow = fit_case(coxph(Surv(time, status) ~ trt + karno + age + strata(celltype),
    data = vet, ties = "breslow"), vet, c("time", "status", "trt", "karno", "age", "celltype")),
  ties_efron = fit_case(coxph(Surv(time, event) ~ x1 + x2, data = ties_df, ties = "efron"),
    ties_df, c("time", "event", "x1", "x2")),
  ties_breslow = fit_case(coxph(Surv(time, event) ~ x1 + x2, data = ties_df, ties = "breslow"),
    ties_df, c("time", "event", "x1", "x2")),
  ties_exact = fit_case(coxph(Surv(time, event) ~ x1 + x2, data = ties_df, ties = "exact"),
    ties_df, c("time", "event", "x1", "x2")),
  entry_efron = fit_case(coxph(Surv(entry, time, event) ~ x1 + x2, data = ties_df, ties = "efron"),
    ties_df, c("entry", "time", "event", "x1", "x2")),
  entry_breslow = fit_case(coxph(Surv(entry, time, event) ~ x1 + x2, data = ties_df, ties = "breslow"),
    ties_df, c("entry", "time", "event", "x1", "x2")),
  entry_exact = fit_case(coxph(Surv(entry, time, event) ~ x1 + x2, data = small_df, ties = "exact"),
    small_df, c("entry", "time", "event", "x1", "x2")),
  entry_cluster_efron = fit_case(coxph(Surv(entry, time, event) ~ x1 + x2, data = ties_df, ties = "efron", cluster = grp),
    ties_df, c("entry", "time", "event", "x1", "x2", "grp"))
)

out <- list(
  call = "survival::coxph on lung (na.omit), ovarian, veteran + strata(celltype), synthetic ties",
  r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases,
  # character celltype -> factor with sorted levels: treatment contrasts vs "adeno" (CLI one-hot)
  cli_cases = list(
    veteran_factor = fit_case(coxph(Surv(time, status) ~ trt + karno + age + celltype, data = vet,
      ties = "efron"), vet, c("time", "status", "trt", "karno", "age", "celltype")),
    lung_cluster_breslow = fit_case(coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lung2,
      ties = "breslow", cluster = inst), lung2, c("time", "event", "age", "sex", "ph.ecog", "inst"))
  )
)
write_json(out, "../fixtures/cox.json", digits = NA, auto_unbox = TRUE, null = "null")
