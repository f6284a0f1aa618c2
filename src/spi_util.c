/*
 * spi_util.c: cached SPI plans and typed result access.
 */
#include "postgres.h"

#include "executor/spi.h"

#include "spi_util.h"

/*
 * Returns the plan in *cache, preparing and keeping it on first use.  Kept
 * plans live in the plan cache, which re-plans them after DDL.
 */
SPIPlanPtr
KeptPlan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes)
{
	if (*cache == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		*cache = plan;
	}
	return *cache;
}

/* The value at (row, col) of the last SPI result, columns counted from 1. */
Datum
SPIValue(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}
