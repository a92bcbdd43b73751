#!/usr/bin/env Rscript
# Exports three UCI datasets shipped by Debian's r-cran-mlbench (GPL-2) to CSV for lossforge:
#   Rscript data/tabular/export.R   (from the repository root; apt-get install r-cran-mlbench)
# Each file: a header line, the numeric features, and a last column "label" in {0, 1} with the
# minority class as 1 (pima: diabetes "pos"; sonar: Class "R" (rock); ionosphere: Class "bad").
# Ionosphere's V1 and V2 are stored as factors; they become their numeric values (V2 is 0 in every
# row). Numbers are written with 15 significant digits, so they round-trip through float64.
suppressMessages(library(mlbench))

out_dir <- "data/tabular"

export <- function(df, class_col, positive, file) {
  y <- as.integer(df[[class_col]] == positive)
  x <- df[, setdiff(names(df), class_col), drop = FALSE]
  for (j in names(x)) {
    if (is.factor(x[[j]])) x[[j]] <- as.numeric(as.character(x[[j]]))
  }
  x$label <- y
  write.csv(format(x, digits = 15, trim = TRUE), file.path(out_dir, file), row.names = FALSE,
            quote = FALSE)
  cat(sprintf("%s: %d rows, %d features, %d positives (%s)\n", file, nrow(x), ncol(x) - 1,
              sum(y), positive))
}

data(PimaIndiansDiabetes)
data(Sonar)
data(Ionosphere)
export(PimaIndiansDiabetes, "diabetes", "pos", "pima.csv")
export(Sonar, "Class", "R", "sonar.csv")
export(Ionosphere, "Class", "bad", "ionosphere.csv")
