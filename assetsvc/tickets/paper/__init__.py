"""Paper work orders (纸质工单补录): tickets taken by phone or on paper, entered afterwards with the times things happened."""
