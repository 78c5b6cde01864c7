# Reference values for plasmatrial.stats.binomial.binomial_ci.
# Run from this directory: Rscript binomial.R  -> ../fixtures/binomial.json
suppressPackageStartupMessages(library(jsonlite))

midp_ci <- function(x, n, a) {
  # exact mid-p limits (central): P(X > x) + P(X = x)/2 = a ; P(X < x) + P(X = x)/2 = a
  lo <- if (x == 0) 0 else uniroot(function(p) pbinom(x, n, p, lower.tail = FALSE) +
                                     0.5 * dbinom(x, n, p) - a, c(0, 1), tol = 1e-15)$root
  hi <- if (x == n) 1 else uniroot(function(p) pbinom(x - 1, n, p) + 0.5 * dbinom(x, n, p) - a,
                                   c(0, 1), tol = 1e-15)$root
  c(lo, hi)
}

ci <- function(x, n, method, conf, alt) {
  a <- if (alt == "two.sided") (1 - conf) / 2 else 1 - conf
  z <- qnorm(1 - a)
  p <- x / n
  r <- switch(method,
    "clopper-pearson" = binom.test(x, n, conf.level = conf, alternative = alt)$conf.int,
    "wilson" = suppressWarnings(prop.test(x, n, conf.level = conf, alternative = alt,
                                          correct = FALSE)$conf.int),
    "wilson-cc" = suppressWarnings(prop.test(x, n, conf.level = conf, alternative = alt,
                                             correct = TRUE)$conf.int),
    "jeffreys" = c(if (x == 0) 0 else qbeta(a, x + 0.5, n - x + 0.5),
                   if (x == n) 1 else qbeta(1 - a, x + 0.5, n - x + 0.5)),
    "agresti-coull" = {
      nt <- n + z^2; pt <- (x + z^2 / 2) / nt; h <- z * sqrt(pt * (1 - pt) / nt)
      c(max(pt - h, 0), min(pt + h, 1))
    },
    "mid-p" = midp_ci(x, n, a),
    "wald" = { h <- z * sqrt(p * (1 - p) / n); c(max(p - h, 0), min(p + h, 1)) }
  )
  r <- as.numeric(r)
  if (alt == "less") r[1] <- 0
  if (alt == "greater") r[2] <- 1
  r
}

grid <- list(c(19, 28), c(0, 10), c(10, 10), c(1, 10), c(9, 10), c(5, 10), c(14, 28),
             c(3, 7), c(0, 1), c(1, 1), c(57, 120), c(250, 455))
methods <- c("clopper-pearson", "wilson", "wilson-cc", "jeffreys", "agresti-coull",
             "mid-p", "wald")
cases <- list()
for (xn in grid) for (m in methods) for (conf in c(0.9, 0.95, 0.99))
  for (alt in c("two.sided", "less", "greater")) {
    r <- ci(xn[1], xn[2], m, conf, alt)
    cases[[length(cases) + 1]] <- list(x = xn[1], n = xn[2], method = m, conf_level = conf,
      alternative = sub("two.sided", "two-sided", alt, fixed = TRUE), lower = r[1], upper = r[2])
  }

out <- list(
  call = paste("binom.test(x, n)$conf.int; prop.test(x, n, correct = FALSE/TRUE)$conf.int;",
               "qbeta(c(a, 1 - a), x + .5, n - x + .5); mid-p by uniroot(tol = 1e-15);",
               "agresti-coull and wald by formula"),
  r_version = R.version.string,
  packages = list(stats = as.character(packageVersion("stats")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  expected = list(cases = cases)
)
write_json(out, "../fixtures/binomial.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
