"""History import (历史数据导入): outage history and maintenance windows from the old platform, in batches."""
