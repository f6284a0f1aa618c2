/*
 * spi_util.c: cached SPI plans and typed result access.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

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

/* A one-dimensional array datum of n elements of type elemtype, for SPI arguments. */
Datum
SPIArray(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, elemtype,
											  typlen, typbyval, typalign));
}
