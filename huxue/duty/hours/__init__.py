"""我的服务时长: a member's own duty hours and person-times, with the check-ins behind them."""
